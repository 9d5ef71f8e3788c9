COMMENT
Test cell for cantata.specs (written for Cantata): an Izhikevich (2003) neuron whose voltage V
is its own state, not the section's. NetCon events add to an excitatory (weight slot 0) or an
inhibitory (slot 1) conductance; V is reset to c (and u raised by d) when it passes vpeak.
ENDCOMMENT

NEURON {
    POINT_PROCESS CantataIzh
    RANGE a, b, c, d, vpeak, bias, V, u, gexc, ginh, tauexc, tauinh, eexc, einh
}

PARAMETER {
    a = 0.02
    b = 0.2
    c = -65
    d = 8
    vpeak = 30
    bias = 0
    tauexc = 5
    tauinh = 10
    eexc = 0
    einh = -80
}

STATE {
    V
    u
    gexc
    ginh
}

INITIAL {
    V = c
    u = b * V
    gexc = 0
    ginh = 0
    net_send(0, 1)
}

BREAKPOINT {
    SOLVE dynamics METHOD derivimplicit
}

UNITSOFF
DERIVATIVE dynamics {
    V' = 0.04 * V * V + 5 * V + 140 - u + bias + gexc * (eexc - V) + ginh * (einh - V)
    u' = a * (b * V - u)
    gexc' = -gexc / tauexc
    ginh' = -ginh / tauinh
}

NET_RECEIVE (wexc, winh) {
    if (flag == 1) {
        WATCH (V > vpeak) 2
    } else if (flag == 2) {
        V = c
        u = u + d
    } else {
        gexc = gexc + wexc
        ginh = ginh + winh
    }
}
UNITSON
