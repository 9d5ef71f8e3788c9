TITLE Kv3_1: fast non-inactivating Kv3-like potassium current

COMMENT
Cantata channel library (Allen Cell Types perisomatic models).

Shaw-related Kv3.1 current characterised by Rettig et al. (1992, EMBO J 11:2473), in the first-order
form of Hay et al. (2011). No temperature scaling (as in the published model).

  g = gbar m
  m_inf = 1/(1 + exp(-(v - 18.7 - vshift)/9.7))
  tau_m = 4 / (1 + exp(-(v + 46.56 - vshift)/44.14))   (ms)
ENDCOMMENT

NEURON {
    THREADSAFE
    SUFFIX Kv3_1
    USEION k READ ek WRITE ik
    RANGE gbar, g, vshift, m_inf, tau_m
}

UNITS {
    (S) = (siemens)
    (mV) = (millivolt)
    (mA) = (milliamp)
}

PARAMETER {
    gbar = 0.00001 (S/cm2)
    vshift = 0 (mV)
}

ASSIGNED {
    v (mV)
    ek (mV)
    ik (mA/cm2)
    g (S/cm2)
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
    UNITSOFF
    m_inf = 1/(1 + exp(-(u - 18.7 - vshift)/9.7))
    tau_m = 4/(1 + exp(-(u + 46.56 - vshift)/44.14))
    UNITSON
}
