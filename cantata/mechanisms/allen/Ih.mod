TITLE Ih: hyperpolarisation-activated cation (HCN) current

COMMENT
Cantata channel library (Allen Cell Types perisomatic models).

Non-specific cation current of layer 5 pyramidal neurones (Kole, Hallermann & Stuart 2006,
J Neurosci 26:1677) as written by Hay et al. (2011). The model files name the ion "hcn" with
a reversal of -45 mV; here it is a non-specific current with its own reversal ehcn (RANGE,
settable as ehcn_Ih), so no hcn ion species has to be initialised. No temperature scaling.

  i = gbar m (v - ehcn)
  alpha_m = 6.43e-3 (v + 154.9)/(exp((v + 154.9)/11.9) - 1)   (1/ms)
  beta_m  = 0.193 exp(v/33.1)
  m_inf = alpha/(alpha + beta),  tau_m = 1/(alpha + beta)
ENDCOMMENT

NEURON {
    THREADSAFE
    SUFFIX Ih
    NONSPECIFIC_CURRENT ihcn
    RANGE gbar, g, ehcn, m_inf, tau_m
}

UNITS {
    (S) = (siemens)
    (mV) = (millivolt)
    (mA) = (milliamp)
}

PARAMETER {
    gbar = 0.00001 (S/cm2)
    ehcn = -45 (mV)
}

ASSIGNED {
    v (mV)
    ihcn (mA/cm2)
    g (S/cm2)
    m_inf
    tau_m (ms)
}

STATE { m }

BREAKPOINT {
    SOLVE gates METHOD cnexp
    g = gbar*m
    ihcn = g*(v - ehcn)
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
    a = 6.43e-3*11.9*linexp((u + 154.9)/11.9)
    b = 0.193*exp(u/33.1)
    m_inf = a/(a + b)
    tau_m = 1/(a + b)
    UNITSON
}

FUNCTION linexp(x) {
    : x/(exp(x) - 1), continued smoothly through x = 0
    if (fabs(x) < 1e-6) {
        linexp = 1 - x/2
    } else {
        linexp = x/(exp(x) - 1)
    }
}
