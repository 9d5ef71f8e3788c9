TITLE Ca_HVA: high-voltage-activated calcium current

COMMENT
Cantata channel library (Allen Cell Types perisomatic models).

High-voltage-activated Ca2+ current of neocortical pyramidal neurones (Reuveni, Friedman,
Amitai & Gutnick 1993, J Neurosci 13:4609), m^2 h kinetics as written by Hay et al. (2011).
As in the published model there is no temperature scaling of the rates. The reversal potential
is the Nernst potential of calcium, computed here from cai and cao at the current temperature
(so it follows the calcium dynamics mechanism, CaDynamics).

  i = gbar m^2 h (v - E_Ca),  E_Ca = (R T / 2F) ln(cao/cai)
  alpha_m = 0.055 (-27 - v)/(exp((-27 - v)/3.8) - 1)   beta_m = 0.94 exp((-75 - v)/17)
  alpha_h = 0.000457 exp((-13 - v)/50)                 beta_h = 0.0065/(exp((-v - 15)/28) + 1)
  x_inf = alpha/(alpha + beta),  tau_x = 1/(alpha + beta)
ENDCOMMENT

NEURON {
    THREADSAFE
    SUFFIX Ca_HVA
    USEION ca READ cai, cao WRITE ica
    RANGE gbar, g, erev, m_inf, h_inf, tau_m, tau_h
}

UNITS {
    (S) = (siemens)
    (mV) = (millivolt)
    (mA) = (milliamp)
    (mM) = (milli/liter)
    FARADAY = (faraday) (coulombs)
    R = (k-mole) (joule/degC)
}

PARAMETER {
    gbar = 0.00001 (S/cm2)
}

ASSIGNED {
    v (mV)
    cai (mM)
    cao (mM)
    ica (mA/cm2)
    g (S/cm2)
    erev (mV)
    celsius (degC)
    m_inf
    h_inf
    tau_m (ms)
    tau_h (ms)
}

STATE { m h }

BREAKPOINT {
    SOLVE gates METHOD cnexp
    g = gbar*m*m*h
    erev = nernst_ca(cai, cao)
    ica = g*(v - erev)
}

INITIAL {
    settle(v)
    m = m_inf
    h = h_inf
}

DERIVATIVE gates {
    settle(v)
    m' = (m_inf - m)/tau_m
    h' = (h_inf - h)/tau_h
}

FUNCTION nernst_ca(ci (mM), co (mM)) (mV) {
    LOCAL ratio
    if (ci > 1e-12 (mM)) {
        ratio = co/ci
    } else {
        ratio = co/(1e-12 (mM))
    }
    nernst_ca = (1000)*R*(celsius + 273.15 (degC))/(2*FARADAY)*log(ratio)
}

PROCEDURE settle(u (mV)) {
    LOCAL a, b
    UNITSOFF
    a = 0.055*3.8*linexp((-27 - u)/3.8)
    b = 0.94*exp((-75 - u)/17)
    m_inf = a/(a + b)
    tau_m = 1/(a + b)
    a = 0.000457*exp((-13 - u)/50)
    b = 0.0065/(exp((-u - 15)/28) + 1)
    h_inf = a/(a + b)
    tau_h = 1/(a + b)
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
