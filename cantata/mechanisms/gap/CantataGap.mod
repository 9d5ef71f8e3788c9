COMMENT
Ohmic electrical synapse (gap junction), one half of a pair.

Each coupled cell carries one CantataGap at its coupling site. The half on cell A reads the
potential of the partner site on cell B through `vpartner`, which the simulator keeps up to date
(ParallelContext.source_var / target_var / setup_transfer, so the partner may live on another MPI
rank), and injects

    i = g * (v - vpartner)        (nA, outward positive)

so that with the mirror half on cell B the pair is a symmetric conductance g (uS) between the
two sites. Written for Cantata; the current sign follows NEURON's NONSPECIFIC_CURRENT convention.
ENDCOMMENT

NEURON {
    POINT_PROCESS CantataGap
    NONSPECIFIC_CURRENT i
    RANGE g, i, vpartner
}

UNITS {
    (nA) = (nanoamp)
    (mV) = (millivolt)
    (uS) = (microsiemens)
}

PARAMETER {
    g = 0 (uS)
}

ASSIGNED {
    v (mV)
    vpartner (mV)
    i (nA)
}

BREAKPOINT {
    i = g * (v - vpartner)
}
