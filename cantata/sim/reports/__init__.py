"""Built-in report modules (registered on import): ``membrane_report``."""

from cantata.sim.reports.membrane import MembraneReport

__all__ = ["MembraneReport"]
