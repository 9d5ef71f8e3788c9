TITLE Kv2like: slow delayed-rectifier (Kv2-like) potassium current

COMMENT
Cantata channel library (Allen Cell Types perisomatic models).

Kv2-like current of the Allen Institute perisomatic models: adapted from the Kv2 model of
Keren et al. (2005, J Neurophysiol 94:3730) with parameters matched to the guangxitoxin-sensitive
current of mouse CA1 pyramidal neurones (Liu & Bean 2014, J Neurosci 34:4991). Two
inactivation gates with a common steady state and different time constants, each weighted 1/2;
Q10 2.3 from 21 degC.

  g = gbar m^2 (h1 + h2)/2
  alpha_m = 0.12 (v - 43)/(1 - exp(-(v - 43)/11))    beta_m = 0.02 exp(-(v + 1.27)/120)
  m_inf = alpha/(alpha + beta),  tau_m = 2.5/((alpha + beta) q)
  h_inf = 1/(1 + exp((v + 58)/11))
  tau_h1 = (360 + (1010 + 23.7 (v + 54)) exp(-((v + 75)/48)^2))/q
  tau_h2 = (2350 + 1380 exp(-0.011 v) - 210 exp(-0.03 v))/q
  q = 2.3^((celsius - 21)/10)
tau_h2 turns negative below about -130 mV; it is floored at 1 ms there to keep the gate stable.
ENDCOMMENT

NEURON {
    THREADSAFE
    SUFFIX Kv2like
    USEION k READ ek WRITE ik
    RANGE gbar, g, m_inf, h_inf, tau_m, tau_h1, tau_h2
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
    h_inf
    tau_m (ms)
    tau_h1 (ms)
    tau_h2 (ms)
}

STATE { m h1 h2 }

BREAKPOINT {
    SOLVE gates METHOD cnexp
    g = gbar*m*m*(0.5*h1 + 0.5*h2)
    ik = g*(v - ek)
}

INITIAL {
    settle(v)
    m = m_inf
    h1 = h_inf
    h2 = h_inf
}

DERIVATIVE gates {
    settle(v)
    m' = (m_inf - m)/tau_m
    h1' = (h_inf - h1)/tau_h1
    h2' = (h_inf - h2)/tau_h2
}

PROCEDURE settle(u (mV)) {
    LOCAL a, b, q
    UNITSOFF
    q = q10^((celsius - tref)/10)
    a = 0.12*11*linexp(-(u - 43)/11)
    b = 0.02*exp(-(u + 1.27)/120)
    m_inf = a/(a + b)
    tau_m = 2.5/((a + b)*q)
    h_inf = 1/(1 + exp((u + 58)/11))
    tau_h1 = (360 + (1010 + 23.7*(u + 54))*exp(-((u + 75)/48)^2))/q
    tau_h2 = (2350 + 1380*exp(-0.011*u) - 210*exp(-0.03*u))/q
    if (tau_h2 < 1) {
        tau_h2 = 1
    }
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
