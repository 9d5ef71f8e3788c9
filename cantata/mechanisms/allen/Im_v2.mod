TITLE Im_v2: M-type potassium current (Vervaeke et al. kinetics)

COMMENT
Cantata channel library (Allen Cell Types perisomatic models).

M-current following the Kv7/M model of Vervaeke et al. (2006, J Physiol 576:235; hippocampal pyramidal
cells), as adopted for the Allen Institute perisomatic interneuron models: an Eyring-type
two-rate model with valence 6, gating asymmetry 0.4, midpoint -48 mV, a 15 ms floor on the time
constant, and Q10 2.3 from 30 degC. (RT/F taken as 26.12 mV, as published.)

  g = gbar m
  alpha_m = 0.007 exp( 6 * 0.4 * (v + 48)/26.12)   (1/ms)
  beta_m  = 0.007 exp(-6 * 0.6 * (v + 48)/26.12)
  m_inf = alpha/(alpha + beta),  tau_m = (15 + 1/(alpha + beta))/q,  q = 2.3^((celsius - 30)/10)
ENDCOMMENT

NEURON {
    THREADSAFE
    SUFFIX Im_v2
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
    tref = 30 (degC)
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
    a = 0.007*exp(6*0.4*(u + 48)/26.12)
    b = 0.007*exp(-6*0.6*(u + 48)/26.12)
    m_inf = a/(a + b)
    tau_m = (15 + 1/(a + b))/q10^((celsius - tref)/10)
    UNITSON
}
