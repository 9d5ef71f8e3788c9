"""Simulator engines, one package each (``nest``, ``neuron``, ...).

Every engine package registers an :class:`cantata.sim.registry.EngineSpec` in its
``__init__`` without importing its simulator; :func:`cantata.sim.registry.load_builtins`
imports all of them.
"""
