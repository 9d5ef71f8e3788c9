TITLE Ca_LVA: low-voltage-activated (T-type) calcium current

COMMENT
Cantata channel library (Allen Cell Types perisomatic models).

Low-voltage-activated Ca2+ current: steady states from Avery & Johnston (1996, J Neurosci
16:5567), time constants from Randall & Tsien (1997, Neuropharmacology 36:879), shifted by
-10 mV (junction potential) and scaled with Q10 2.3 from 21 degC, as written by Hay et al.
(2011). The reversal potential is the Nernst potential of calcium from cai and cao.

  i = gbar m^2 h (v - E_Ca),  E_Ca = (R T / 2F) ln(cao/cai)
  m_inf = 1/(1 + exp(-(v + 40)/6)),    tau_m = (5 + 20/(1 + exp((v + 35)/5)))/q
  h_inf = 1/(1 + exp((v + 90)/6.4)),   tau_h = (20 + 50/(1 + exp((v + 50)/7)))/q
  q = 2.3^((celsius - 21)/10)
ENDCOMMENT

NEURON {
    THREADSAFE
    SUFFIX Ca_LVA
    USEION ca READ cai, cao WRITE ica
    RANGE gbar, g, erev, m_inf, h_inf, tau_m, tau_h
    GLOBAL q10, tref
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
    q10 = 2.3
    tref = 21 (degC)
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
    LOCAL q
    UNITSOFF
    q = q10^((celsius - tref)/10)
    m_inf = 1/(1 + exp(-(u + 40)/6))
    tau_m = (5 + 20/(1 + exp((u + 35)/5)))/q
    h_inf = 1/(1 + exp((u + 90)/6.4))
    tau_h = (20 + 50/(1 + exp((u + 50)/7)))/q
    UNITSON
}
