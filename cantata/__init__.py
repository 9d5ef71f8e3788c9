"""Cantata: build, simulate and analyse brain network models on the SONATA standard.

Importing this package is cheap and has no side effects: engines (NEST, NEURON) and MPI are
imported only when a simulation asks for them.
"""

from cantata.errors import CantataError

__version__ = "0.1.0"

__all__ = ["CantataError", "__version__"]
