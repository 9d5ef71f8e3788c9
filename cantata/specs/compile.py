"""``netParams`` + ``simConfig`` -> :class:`~cantata.specs.model.Model`, in NetPyNE's build order:
cell rules and populations, synapse models, connections, stimulation, then run settings."""

from __future__ import annotations

from cantata.specs import cells, connect, simcfg, stims
from cantata.specs.checks import fail, number
from cantata.specs.model import Model
from cantata.specs.params import NET_DEFAULTS, NetParams, SimConfig
from cantata.specs.selection import CellTable
from cantata.specs.strfuncs import net_constants

#: netParams options that change the model and are not implemented here.
UNSUPPORTED_NET = ("rotateCellsRandomly", "defineCellShapes", "correctBorder")


def compile_model(netParams: NetParams, simConfig: SimConfig) -> Model:  # noqa: N803
    """Check and expand the specification (no file is written, NEURON is not imported)."""
    if not isinstance(netParams, NetParams) or not isinstance(simConfig, SimConfig):
        fail("expected cantata.specs.NetParams and cantata.specs.SimConfig objects", "netParams, simConfig",
             expected="(NetParams, SimConfig)", found=f"({type(netParams).__name__}, {type(simConfig).__name__})")
    net, cfg = netParams, simConfig
    for name in UNSUPPORTED_NET:
        if net.get(name, NET_DEFAULTS[name]) not in (NET_DEFAULTS[name], None, False):
            fail("not supported in this version of cantata.specs", f"netParams.{name}",
                 expected=NET_DEFAULTS[name], found=net.get(name))
    for name in ("subConnParams", "rxdParams"):
        if net.get(name):
            fail("not supported in this version of cantata.specs", f"netParams.{name}", expected="empty",
                 found=list(net.get(name)))
    run, conditions, step, seeds = simcfg.run_settings(cfg)
    pops = cells.populations(net, run["tstop"], seeds)
    synmechs = cells.synapse_models(net.synMechParams)
    sizes = tuple(number(getattr(net, f"size{c}"), f"netParams.size{c}", positive=True) for c in "XYZ")
    table = CellTable(pops, sizes)  # type: ignore[arg-type]
    flags = connect.Flags(allow_self=bool(cfg.allowSelfConns), allow_zero=bool(cfg.allowConnsWithWeight0),
                          seed=seeds["conn"], constants=net_constants(net),
                          options={k: cfg.get(k, True) for k in ("connRandomSecFromList", "distributeSynsUniformly")})
    edges = connect.connections(net, flags, table, synmechs)
    sources, stim_edges, clamps, others = stims.stimulation(net, table, synmechs, duration=run["tstop"],
                                                            seed=seeds["stim"], constants=flags.constants)
    pops.update(sources)
    run["spike_threshold"] = number(net.defaultThreshold, "netParams.defaultThreshold")
    return Model(populations=pops, synmechs=synmechs, edges=[*edges, *stim_edges], clamps=clamps,
                 traces=simcfg.traces(cfg, table, pops), run=run, conditions=conditions, record_step=step,
                 seeds=seeds, stims=others, lfp=simcfg.lfp(cfg, table))
