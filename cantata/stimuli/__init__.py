"""Stimulus generators: Poisson spike trains (more to come: movies, current waveforms)."""

from cantata.stimuli.poisson import PoissonSpikeGenerator

__all__ = ["PoissonSpikeGenerator"]
