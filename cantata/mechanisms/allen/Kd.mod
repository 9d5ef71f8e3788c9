TITLE Kd: slowly inactivating D-type (Kv1-like) potassium current

COMMENT
Cantata channel library (Allen Cell Types perisomatic models).

D-type K+ current after the Kv1 model of Foust et al. (2011, J Neurosci 31:15490), as used in
the Allen Institute perisomatic interneuron models: fast activation (1 ms) and very slow
inactivation (1500 ms). The published Allen implementation applies no temperature scaling
to these time constants, and neither does this one.

  g = gbar m h
  m_inf = 1 - 1/(1 + exp((v + 43)/8)),  tau_m = 1 ms
  h_inf = 1/(1 + exp((v + 67)/7.3)),    tau_h = 1500 ms
ENDCOMMENT

NEURON {
    THREADSAFE
    SUFFIX Kd
    USEION k READ ek WRITE ik
    RANGE gbar, g
    GLOBAL tau_m, tau_h
}

UNITS {
    (S) = (siemens)
    (mV) = (millivolt)
    (mA) = (milliamp)
}

PARAMETER {
    gbar = 0.00001 (S/cm2)
    tau_m = 1 (ms)
    tau_h = 1500 (ms)
}

ASSIGNED {
    v (mV)
    ek (mV)
    ik (mA/cm2)
    g (S/cm2)
}

STATE { m h }

BREAKPOINT {
    SOLVE gates METHOD cnexp
    g = gbar*m*h
    ik = g*(v - ek)
}

INITIAL {
    m = m_steady(v)
    h = h_steady(v)
}

DERIVATIVE gates {
    m' = (m_steady(v) - m)/tau_m
    h' = (h_steady(v) - h)/tau_h
}

FUNCTION m_steady(u (mV)) {
    UNITSOFF
    m_steady = 1 - 1/(1 + exp((u + 43)/8))
    UNITSON
}

FUNCTION h_steady(u (mV)) {
    UNITSOFF
    h_steady = 1/(1 + exp((u + 67)/7.3))
    UNITSON
}
