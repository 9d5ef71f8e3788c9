TITLE Im: muscarinic (M-type) potassium current

COMMENT
Cantata channel library (Allen Cell Types perisomatic models).

M-current of Adams, Brown & Constanti (1982, J Physiol 330:537) in the first-order form of
Hay et al. (2011); Q10 2.3 from 21 degC.

  g = gbar m
  alpha_m = 3.3e-3 exp( 0.1 (v + 35))   (1/ms)
  beta_m  = 3.3e-3 exp(-0.1 (v + 35))
  m_inf = alpha/(alpha + beta),  tau_m = 1/((alpha + beta) q),  q = 2.3^((celsius - 21)/10)
ENDCOMMENT

NEURON {
    THREADSAFE
    SUFFIX Im
    USEION k READ ek WRITE ik
    RANGE gbar, g, m_inf, tau_m
    GLOBAL q10, tref
}

UNITS {
    (S) = (siemens)
    (mV) = (millivolt)
    (mA) = (milliamp)
}

PARAMETER {
    gbar = 0.00001 (S/cm2)
    q10 = 2.3
    tref = 21 (degC)
}

ASSIGNED {
    v (mV)
    ek (mV)
    ik (mA/cm2)
    g (S/cm2)
    celsius (degC)
    m_inf
    tau_m (ms)
}

STATE { m }

BREAKPOINT {
    SOLVE gates METHOD cnexp
    g = gbar*m
    ik = g*(v - ek)
}

INITIAL {
    settle(v)
    m = m_inf
}

DERIVATIVE gates {
    settle(v)
    m' = (m_inf - m)/tau_m
}

PROCEDURE settle(u (mV)) {
    LOCAL a, b
    UNITSOFF
    a = 3.3e-3*exp(0.1*(u + 35))
    b = 3.3e-3*exp(-0.1*(u + 35))
    m_inf = a/(a + b)
    tau_m = 1/((a + b)*q10^((celsius - tref)/10))
    UNITSON
}
