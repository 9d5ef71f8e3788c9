"""Built-in input modules (registered on import): ``spikes`` and ``current_clamp``."""

from cantata.sim.inputs.current_clamp import CurrentClampInput
from cantata.sim.inputs.spikes import SpikesInput

__all__ = ["CurrentClampInput", "SpikesInput"]
