"""Spontaneous rates of single-subfield LGN units when the node gives no ``spont_fr``.

BMTK FilterNet reads ``spont_fr`` from the node's attributes only (node file or node-types
table; a ``spont_fr`` in the ``dynamics_params`` JSON is not looked at). Without it, the rate
is the mean spontaneous rate that BMTK 1.2 derives from its bundled mouse LGN recordings for
the unit's class, named by the template: ``<class>_<TF>`` (``tON_TF8`` -> class ``tON``,
temporal-frequency group ``TF8``; a name without ``_`` means ``TF8``). The numbers below are
those means (Hz) as BMTK 1.2 computes them, to the last bit.
"""

from __future__ import annotations

__all__ = ["FALLBACK_SPONT_FR", "fallback_spont_fr"]

FALLBACK_SPONT_FR: dict[str, dict[str, float]] = {
    "sON": {"TF1": 5.2, "TF2": 3.533333333333333, "TF4": 8.25, "TF8": 1.7666666666666666,
            "TF15": 10.879999999999995},
    "sOFF": {"TF1": 3.95, "TF2": 4.5317777777777755, "TF4": 3.679074074074074, "TF8": 3.62, "TF15": 5.075},
    "tON": {"TF8": 2.6},
    "tOFF": {"TF1": 5.5, "TF2": 3.4095238095238303, "TF4": 3.9445502645502764, "TF8": 2.4377777777777867,
             "TF15": 1.050666666666664},
}


def fallback_spont_fr(model: str) -> float:
    """The data-derived spontaneous rate (Hz) of the type ``model`` (e.g. ``"sOFF_TF4"``);
    ``KeyError`` with a readable message when there is none."""
    parts = model.split("_")
    cell_class, tf = (parts[0], "TF8") if len(parts) == 1 else (parts[0], parts[1])
    table = FALLBACK_SPONT_FR.get(cell_class)
    if table is None or tf not in table:
        known = ", ".join(f"{c}_{t}" for c, groups in FALLBACK_SPONT_FR.items() for t in groups)
        raise KeyError(f"no data-derived spontaneous rate for {model!r} (class {cell_class!r}, group {tf!r}); "
                       f"known: {known}")
    return table[tf]
