TITLE NaTs: fast inactivating (transient) sodium current, somatic variant

COMMENT
Cantata channel library (Allen Cell Types perisomatic models).

Hodgkin-Huxley m^3 h sodium conductance after Colbert & Pan (2002, Nat Neurosci 5:533),
as reformulated by Hay et al. (2011, PLoS Comput Biol 7:e1002107) and re-parameterised for
the Allen Institute perisomatic models (midpoints -40 mV / -66 mV, Q10 2.3 from 23 degC).

  alpha_m = 0.182 (v - Vm) / (1 - exp(-(v - Vm)/6))      beta_m = 0.124 (Vm - v) / (1 - exp((v - Vm)/6))
  alpha_h = 0.015 (Vh - v) / (1 - exp((v - Vh)/6))       beta_h = 0.015 (v - Vh) / (1 - exp(-(v - Vh)/6))
  x_inf = alpha/(alpha + beta),  tau_x = 1/((alpha + beta) q),  q = 2.3^((celsius - 23)/10)

Written for Cantata from the published equations; the kinetic constants are GLOBAL parameters.
ENDCOMMENT

NEURON {
    THREADSAFE
    SUFFIX NaTs
    USEION na READ ena WRITE ina
    RANGE gbar, g, m_inf, h_inf, tau_m, tau_h
    GLOBAL am_rate, bm_rate, vhalf_m, slope_m, ah_rate, bh_rate, vhalf_h, slope_h, q10, tref
}

UNITS {
    (S) = (siemens)
    (mV) = (millivolt)
    (mA) = (milliamp)
}

PARAMETER {
    gbar = 0.00001 (S/cm2)
    am_rate = 0.182 (/ms/mV)
    bm_rate = 0.124 (/ms/mV)
    vhalf_m = -40 (mV)
    slope_m = 6 (mV)
    ah_rate = 0.015 (/ms/mV)
    bh_rate = 0.015 (/ms/mV)
    vhalf_h = -66 (mV)
    slope_h = 6 (mV)
    q10 = 2.3
    tref = 23 (degC)
}

ASSIGNED {
    v (mV)
    ena (mV)
    ina (mA/cm2)
    g (S/cm2)
    celsius (degC)
    m_inf
    h_inf
    tau_m (ms)
    tau_h (ms)
}

STATE { m h }

BREAKPOINT {
    SOLVE gates METHOD cnexp
    g = gbar*m*m*m*h
    ina = g*(v - ena)
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

PROCEDURE settle(u (mV)) {
    LOCAL a, b, q
    q = q10^((celsius - tref)/10 (degC))
    UNITSOFF
    : slope*linexp(x) = slope*x/(exp(x) - 1), finite at the midpoint
    a = am_rate*slope_m*linexp(-(u - vhalf_m)/slope_m)
    b = bm_rate*slope_m*linexp((u - vhalf_m)/slope_m)
    m_inf = a/(a + b)
    tau_m = 1/((a + b)*q)
    a = ah_rate*slope_h*linexp((u - vhalf_h)/slope_h)
    b = bh_rate*slope_h*linexp(-(u - vhalf_h)/slope_h)
    h_inf = a/(a + b)
    tau_h = 1/((a + b)*q)
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
