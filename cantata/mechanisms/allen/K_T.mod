TITLE K_T: fast inactivating (transient) potassium current

COMMENT
Cantata channel library (Allen Cell Types perisomatic models).

Transient K+ current of layer 5 pyramidal neurones (Korngreen & Sakmann 2000, J Physiol 525:621)
as modelled by Hay et al. (2011) and the Allen Institute perisomatic models; m^4 h kinetics,
Q10 2.3 from 21 degC. vshift moves every voltage dependence; mTauF and hTauF scale the
voltage-dependent part of the time constants.

  g = gbar m^4 h
  m_inf = 1/(1 + exp(-(v - vhalf_m - vshift)/slope_m))
  tau_m = (0.34 + mTauF 0.92 exp(-((v + 71 - vshift)/59)^2))/q
  h_inf = 1/(1 + exp((v + 66 - vshift)/10))
  tau_h = (8 + hTauF 49 exp(-((v + 73 - vshift)/23)^2))/q
  q = 2.3^((celsius - 21)/10)
ENDCOMMENT

NEURON {
    THREADSAFE
    SUFFIX K_T
    USEION k READ ek WRITE ik
    RANGE gbar, g, vshift, mTauF, hTauF, m_inf, h_inf, tau_m, tau_h
    GLOBAL vhalf_m, slope_m, q10, tref
}

UNITS {
    (S) = (siemens)
    (mV) = (millivolt)
    (mA) = (milliamp)
}

PARAMETER {
    gbar = 0.00001 (S/cm2)
    vshift = 0 (mV)
    mTauF = 1
    hTauF = 1
    vhalf_m = -47 (mV)
    slope_m = 29 (mV)
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
    tau_h (ms)
}

STATE { m h }

BREAKPOINT {
    SOLVE gates METHOD cnexp
    g = gbar*m*m*m*m*h
    ik = g*(v - ek)
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
    LOCAL q, w
    UNITSOFF
    q = q10^((celsius - tref)/10)
    w = u - vshift
    m_inf = 1/(1 + exp(-(w - vhalf_m)/slope_m))
    tau_m = (0.34 + mTauF*0.92*exp(-((w + 71)/59)^2))/q
    h_inf = 1/(1 + exp((w + 66)/10))
    tau_h = (8 + hTauF*49*exp(-((w + 73)/23)^2))/q
    UNITSON
}
