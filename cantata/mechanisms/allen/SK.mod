TITLE SK: small-conductance calcium-activated potassium current

COMMENT
Cantata channel library (Allen Cell Types perisomatic models).

SK-type K+ current gated by intracellular calcium with the Hill relation measured by
Kohler et al. (1996, Science 273:1709), as written by Hay et al. (2011): half activation at
0.43 uM, Hill coefficient 4.8, relaxation time 1 ms. Voltage independent.

  g = gbar z
  z_inf = 1/(1 + (0.00043 mM / cai)^4.8),  tau_z = 1 ms
A floor of 1e-7 mM is added to very low cai (below 1e-7 mM) to keep the power finite.
ENDCOMMENT

NEURON {
    THREADSAFE
    SUFFIX SK
    USEION k READ ek WRITE ik
    USEION ca READ cai
    RANGE gbar, g
    GLOBAL kd, hill, tau_z
}

UNITS {
    (S) = (siemens)
    (mV) = (millivolt)
    (mA) = (milliamp)
    (mM) = (milli/liter)
}

PARAMETER {
    gbar = 0.00001 (S/cm2)
    kd = 0.00043 (mM)
    hill = 4.8
    tau_z = 1 (ms)
}

ASSIGNED {
    v (mV)
    ek (mV)
    ik (mA/cm2)
    cai (mM)
    g (S/cm2)
}

STATE { z }

BREAKPOINT {
    SOLVE gates METHOD cnexp
    g = gbar*z
    ik = g*(v - ek)
}

INITIAL {
    z = z_steady(cai)
}

DERIVATIVE gates {
    z' = (z_steady(cai) - z)/tau_z
}

FUNCTION z_steady(c (mM)) {
    LOCAL x
    UNITSOFF
    x = c
    if (x < 1e-7) {
        x = x + 1e-7
    }
    z_steady = 1/(1 + (kd/x)^hill)
    UNITSON
}
