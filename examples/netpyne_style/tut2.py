"""NetPyNE's tutorial 2 (two HH populations, background NetStims, a probability rule) run by
Cantata: the only change to the NetPyNE script is the import line."""

from cantata.specs import sim, specs  # NetPyNE: from netpyne import specs, sim

# Network parameters
netParams = specs.NetParams()

# Populations
netParams.popParams['S'] = {'cellType': 'PYR', 'numCells': 20}
netParams.popParams['M'] = {'cellType': 'PYR', 'numCells': 20}

# Cell rule: HH soma, passive dendrite
netParams.cellParams['PYR'] = {'secs': {
    'soma': {'geom': {'diam': 18.8, 'L': 18.8, 'Ra': 123.0},
             'mechs': {'hh': {'gnabar': 0.12, 'gkbar': 0.036, 'gl': 0.003, 'el': -70}}},
    'dend': {'geom': {'diam': 5.0, 'L': 150.0, 'Ra': 150.0, 'cm': 1},
             'topol': {'parentSec': 'soma', 'parentX': 1.0, 'childX': 0},
             'mechs': {'pas': {'g': 0.0000357, 'e': -70}}}}}

# Synapse model
netParams.synMechParams['exc'] = {'mod': 'Exp2Syn', 'tau1': 0.1, 'tau2': 5.0, 'e': 0}

# Background input: a private 10 Hz NetStim (noise 0.5) per cell (NetPyNE's tutorial: weight 0.01,
# with which no cell fires)
netParams.stimSourceParams['bkg'] = {'type': 'NetStim', 'rate': 10, 'noise': 0.5}
netParams.stimTargetParams['bkg->PYR'] = {'source': 'bkg', 'conds': {'cellType': 'PYR'}, 'weight': 0.05,
                                          'delay': 5, 'synMech': 'exc'}

# Connections: S -> M with probability 0.5, onto the end of the dendrite
netParams.connParams['S->M'] = {'preConds': {'pop': 'S'}, 'postConds': {'pop': 'M'}, 'probability': 0.5,
                                'weight': 0.01, 'delay': 5, 'sec': 'dend', 'loc': 1.0, 'synMech': 'exc'}

# Simulation options
simConfig = specs.SimConfig()
simConfig.duration = 1 * 1e3
simConfig.dt = 0.025
simConfig.verbose = False
simConfig.recordCells = [('S', 1), ('M', 1)]
simConfig.recordTraces = {'V_soma': {'sec': 'soma', 'loc': 0.5, 'var': 'v'}}
simConfig.recordStep = 0.1
simConfig.filename = 'tut2'  # the SONATA circuit and its outputs go to ./tut2/
simConfig.analysis['plotRaster'] = {'saveFig': True}
simConfig.analysis['plotTraces'] = {'include': [1], 'saveFig': True}

if __name__ == '__main__':
    sim.createSimulateAnalyze(netParams=netParams, simConfig=simConfig)
    spikes, gids = sim.simData['spkt'], sim.simData['spkid']
    for label, pop in sim.net['pops'].items():
        n = sum(1 for g in gids if g in set(pop['cellGids']))
        print(f"{label}: {n} spikes, {n / len(pop['cellGids']) / (simConfig.duration / 1000):.1f} Hz")
    print(f"circuit and outputs in {sim.config_path.parent}")
