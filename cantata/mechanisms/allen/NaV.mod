TITLE NaV: mouse transient sodium current, 12-state Markov model

COMMENT
Cantata channel library (Allen Cell Types perisomatic models).

Transient Na+ current of mouse CA1 pyramidal neurones recorded at 37 degC (Carter, Giessel,
Sabatini & Bean 2012, Neuron 75:1081), in the allosteric Markov form used by the Allen
Institute perisomatic interneuron models, with Q10 2.3 from 37 degC.

States: a row of closed states C1..C5 leading to the open state O, and a parallel row of
inactivated states I1..I5 leading to I6 (inactivated from open). With
a(v) = alpha exp(v/x1), b(v) = beta exp(v/x2) and q = 2.3^((celsius - 37)/10):

  C1 <-> C2 <-> C3 <-> C4 <-> C5 <-> O      forward 4a, 3a, 2a, a, gamma; backward b, 2b, 3b, 4b, delta
  I1 <-> I2 <-> I3 <-> I4 <-> I5 <-> I6     forward 4a f, 3a f, 2a f, a f, gamma; backward b/k, 2b/k, 3b/k, 4b/k, delta
  Cn <-> In  (n = 1..5)                     Con f^(n-1) and Coff / k^(n-1)
  O  <-> I6                                 Oon and Ooff
with f = alfac, k = btfac; every rate is multiplied by q. The conductance is gbar times the
occupancy of O. The initial state is the steady state at the initial voltage.
ENDCOMMENT

NEURON {
    THREADSAFE
    SUFFIX NaV
    USEION na READ ena WRITE ina
    RANGE gbar, g, up, down, q
    GLOBAL Con, Coff, Oon, Ooff, alpha, beta, gamma, delta, alfac, btfac, x1, x2, q10, tref
}

UNITS {
    (S) = (siemens)
    (mV) = (millivolt)
    (mA) = (milliamp)
}

PARAMETER {
    gbar = 0.015 (S/cm2)
    Con = 0.01 (/ms)
    Coff = 40 (/ms)
    Oon = 8 (/ms)
    Ooff = 0.05 (/ms)
    alpha = 400 (/ms)
    beta = 12 (/ms)
    gamma = 250 (/ms)
    delta = 60 (/ms)
    alfac = 2.51
    btfac = 5.32
    x1 = 24 (mV)
    x2 = -24 (mV)
    q10 = 2.3
    tref = 37 (degC)
}

ASSIGNED {
    v (mV)
    ena (mV)
    ina (mA/cm2)
    g (S/cm2)
    celsius (degC)
    up (/ms)      : a(v), voltage-dependent forward rate including q
    down (/ms)    : b(v), voltage-dependent backward rate including q
    q             : temperature factor
}

STATE { C1 C2 C3 C4 C5 O I1 I2 I3 I4 I5 I6 }

BREAKPOINT {
    SOLVE transitions METHOD sparse
    g = gbar*O
    ina = g*(v - ena)
}

INITIAL {
    SOLVE transitions STEADYSTATE sparse
}

PROCEDURE voltage_rates(u (mV)) {
    UNITSOFF
    q = q10^((celsius - tref)/10)
    up = q*alpha*exp(u/x1)
    down = q*beta*exp(u/x2)
    UNITSON
}

KINETIC transitions {
    voltage_rates(v)
    : activation steps, non-inactivated row
    ~ C1 <-> C2 (4*up, down)
    ~ C2 <-> C3 (3*up, 2*down)
    ~ C3 <-> C4 (2*up, 3*down)
    ~ C4 <-> C5 (up, 4*down)
    ~ C5 <-> O (q*gamma, q*delta)
    : activation steps, inactivated row (allosterically favoured)
    ~ I1 <-> I2 (4*up*alfac, down/btfac)
    ~ I2 <-> I3 (3*up*alfac, 2*down/btfac)
    ~ I3 <-> I4 (2*up*alfac, 3*down/btfac)
    ~ I4 <-> I5 (up*alfac, 4*down/btfac)
    ~ I5 <-> I6 (q*gamma, q*delta)
    : inactivation, stronger the more voltage sensors have moved
    ~ C1 <-> I1 (q*Con, q*Coff)
    ~ C2 <-> I2 (q*Con*alfac, q*Coff/btfac)
    ~ C3 <-> I3 (q*Con*alfac^2, q*Coff/btfac^2)
    ~ C4 <-> I4 (q*Con*alfac^3, q*Coff/btfac^3)
    ~ C5 <-> I5 (q*Con*alfac^4, q*Coff/btfac^4)
    ~ O <-> I6 (q*Oon, q*Ooff)
    CONSERVE C1 + C2 + C3 + C4 + C5 + O + I1 + I2 + I3 + I4 + I5 + I6 = 1
}
