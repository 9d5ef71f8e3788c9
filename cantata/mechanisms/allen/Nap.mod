TITLE Nap: persistent sodium current

COMMENT
Cantata channel library (Allen Cell Types perisomatic models).

Persistent Na+ current of Magistretti & Alonso (1999, J Gen Physiol 114:491) in the form used by
the Allen Institute perisomatic models: activation is instantaneous (steady-state Boltzmann,
first power) and a slow inactivation gate h follows the Magistretti & Alonso rates
(Hay et al. 2011 supplementary description, Q10 2.3 from 21 degC).

  g = gbar m_inf(v) h
  m_inf = 1/(1 + exp(-(v + 52.6)/4.6))
  h_inf = 1/(1 + exp((v + 48.8)/10))
  alpha_h = 2.88e-6 (v + 17)/(exp((v + 17)/4.63) - 1)     (1/ms)
  beta_h  = 6.94e-6 (v + 64.4)/(1 - exp(-(v + 64.4)/2.63))
  tau_h = 1/((alpha_h + beta_h) q),  q = 2.3^((celsius - 21)/10)
ENDCOMMENT

NEURON {
    THREADSAFE
    SUFFIX Nap
    USEION na READ ena WRITE ina
    RANGE gbar, g, h_inf, tau_h
    GLOBAL vhalf_m, slope_m, vhalf_h, slope_h, q10, tref
}

UNITS {
    (S) = (siemens)
    (mV) = (millivolt)
    (mA) = (milliamp)
}

PARAMETER {
    gbar = 0.00001 (S/cm2)
    vhalf_m = -52.6 (mV)
    slope_m = 4.6 (mV)
    vhalf_h = -48.8 (mV)
    slope_h = 10 (mV)
    q10 = 2.3
    tref = 21 (degC)
}

ASSIGNED {
    v (mV)
    ena (mV)
    ina (mA/cm2)
    g (S/cm2)
    celsius (degC)
    h_inf
    tau_h (ms)
}

STATE { h }

BREAKPOINT {
    SOLVE gates METHOD cnexp
    g = gbar*m_open(v)*h
    ina = g*(v - ena)
}

INITIAL {
    settle(v)
    h = h_inf
}

DERIVATIVE gates {
    settle(v)
    h' = (h_inf - h)/tau_h
}

FUNCTION m_open(u (mV)) {
    m_open = 1/(1 + exp(-(u - vhalf_m)/slope_m))
}

PROCEDURE settle(u (mV)) {
    LOCAL a, b
    UNITSOFF
    h_inf = 1/(1 + exp((u - vhalf_h)/slope_h))
    a = 2.88e-6*4.63*linexp((u + 17)/4.63)
    b = 6.94e-6*2.63*linexp(-(u + 64.4)/2.63)
    tau_h = 1/((a + b)*q10^((celsius - tref)/10))
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
