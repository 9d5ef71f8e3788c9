TITLE K_P: slowly inactivating (persistent) potassium current

COMMENT
Cantata channel library (Allen Cell Types perisomatic models).

Persistent K+ current of layer 5 pyramidal neurones (Korngreen & Sakmann 2000, J Physiol 525:621)
as modelled by Hay et al. (2011) and the Allen Institute perisomatic models; m^2 h kinetics,
Q10 2.3 from 21 degC. vshift moves every voltage dependence (Hay et al. used -10 mV as a
junction-potential correction; the Allen models use 0), tauF scales the activation time constant.

  g = gbar m^2 h
  m_inf = 1/(1 + exp(-(v - vhalf_m - vshift)/slope_m))
  tau_m = tauF (1.25 + 175.03 exp( 0.026 (v - vshift)))/q    for v < -50 + vshift
          tauF (1.25 +  13.00 exp(-0.026 (v - vshift)))/q    otherwise
  h_inf = 1/(1 + exp((v + 54 - vshift)/11))
  tau_h = (360 + (1010 + 24 (v + 55 - vshift)) exp(-((v + 75 - vshift)/48)^2))/q
  q = 2.3^((celsius - 21)/10)
ENDCOMMENT

NEURON {
    THREADSAFE
    SUFFIX K_P
    USEION k READ ek WRITE ik
    RANGE gbar, g, vshift, tauF, m_inf, h_inf, tau_m, tau_h
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
    tauF = 1
    vhalf_m = -14.3 (mV)
    slope_m = 14.6 (mV)
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
    g = gbar*m*m*h
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
    if (w < -50) {
        tau_m = tauF*(1.25 + 175.03*exp(0.026*w))/q
    } else {
        tau_m = tauF*(1.25 + 13*exp(-0.026*w))/q
    }
    h_inf = 1/(1 + exp((w + 54)/11))
    tau_h = (360 + (1010 + 24*(w + 55))*exp(-((w + 75)/48)^2))/q
    UNITSON
}
