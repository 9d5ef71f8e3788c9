TITLE CaDynamics: submembrane calcium shell with buffering and first-order removal

COMMENT
Cantata channel library (Allen Cell Types perisomatic models).

Intracellular calcium in a thin shell under the membrane, after Destexhe et al. (1994) as
simplified by Hay et al. (2011): the inward calcium current fills a shell of thickness depth,
only the fraction gamma stays free (the rest is buffered), and free calcium relaxes to minCai
with time constant decay.

  d cai/dt = -gamma ica / (2 F depth) - (cai - minCai)/decay,   cai(0) = minCai
(ica in mA/cm2, depth in um, cai in mM; 1e4 converts um to cm and mol/cm3 to mM.)
ENDCOMMENT

NEURON {
    THREADSAFE
    SUFFIX CaDynamics
    USEION ca READ ica WRITE cai
    RANGE gamma, decay, depth, minCai
}

UNITS {
    (mA) = (milliamp)
    (mM) = (milli/liter)
    (um) = (micron)
    FARADAY = (faraday) (coulombs)
}

PARAMETER {
    gamma = 0.05
    decay = 80 (ms)
    depth = 0.1 (um)
    minCai = 1e-4 (mM)
}

ASSIGNED {
    ica (mA/cm2)
}

STATE {
    cai (mM)
}

INITIAL {
    cai = minCai
}

BREAKPOINT {
    SOLVE pool METHOD cnexp
}

DERIVATIVE pool {
    UNITSOFF
    cai' = -1e4*gamma*ica/(2*FARADAY*depth) - (cai - minCai)/decay
    UNITSON
}
