COMMENT
Test synapse for cantata.specs (written for Cantata): a double-exponential conductance with a
voltage-dependent magnesium block, driven by NetCon events (weight in uS).
ENDCOMMENT

NEURON {
    POINT_PROCESS CantataNMDA
    RANGE tau1, tau2, e, mg, g, i
    NONSPECIFIC_CURRENT i
}

UNITS {
    (nA) = (nanoamp)
    (mV) = (millivolt)
    (uS) = (microsiemens)
    (mM) = (milli/liter)
}

PARAMETER {
    tau1 = 2 (ms)
    tau2 = 60 (ms)
    e = 0 (mV)
    mg = 1 (mM)
}

ASSIGNED {
    v (mV)
    i (nA)
    g (uS)
    peak_scale
}

STATE {
    rise (uS)
    decay (uS)
}

INITIAL {
    LOCAL t_peak
    rise = 0
    decay = 0
    t_peak = (tau1 * tau2) / (tau2 - tau1) * log(tau2 / tau1)
    peak_scale = 1 / (exp(-t_peak / tau2) - exp(-t_peak / tau1))
}

BREAKPOINT {
    SOLVE kinetics METHOD cnexp
    g = (decay - rise) / (1 + mg / 3.57 (mM) * exp(-0.062 (/mV) * v))
    i = g * (v - e)
}

DERIVATIVE kinetics {
    rise' = -rise / tau1
    decay' = -decay / tau2
}

NET_RECEIVE (weight (uS)) {
    rise = rise + weight * peak_scale
    decay = decay + weight * peak_scale
}
