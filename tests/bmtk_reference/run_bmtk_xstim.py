"""``run_bmtk.py bionet`` for configs with BMTK's ``xstim`` input, on NEURON 9.

Run by the peers' interpreter: ``python run_bmtk_xstim.py CONFIG OUTPUT_DIR``. BMTK 1.2's
``BioCell.setup_xstim`` registers ``PtrVector.ptr_update_callback``, which NEURON 9 no longer
has (its pointers do not move, so nothing needs re-pointing), and stops with an
AttributeError. This runner replaces that one method by the same steps without the callback
(BMTK still sets every pointer in its own FInitializeHandler), then runs BioNet unchanged.
"""

from __future__ import annotations

import sys

from bmtk.simulator.bionet import biocell
from neuron import h
from run_bmtk import main


def _setup_xstim(self: biocell.BioCell, set_nrn_mechanism: bool = True) -> None:
    self.ptr2e_extracellular = h.PtrVector(self.morphology.nseg)
    if set_nrn_mechanism:
        self._BioCell__set_extracell_mechanism()


biocell.BioCell.setup_xstim = _setup_xstim

if __name__ == "__main__":
    raise SystemExit(main("bionet", *sys.argv[1:3]))
