"""A NetPyNE script with string functions: a sheet of HH cells on a grid, connected with a
probability, weight and delay that fall off with distance, a background NetStim whose weight
depends on the cell's depth, and a voltage clamp on one cell. Run by Cantata; with
``from netpyne import specs, sim`` it runs on NetPyNE too."""

from cantata.specs import sim, specs  # NetPyNE: from netpyne import specs, sim

netParams = specs.NetParams()
netParams.sizeX, netParams.sizeY, netParams.sizeZ = 200, 200, 20
netParams.propVelocity = 100.0  # um/ms, read by the delay string below
netParams.probLength = 60.0  # um: a number of your own, read by the strings

netParams.cellParams['PYR'] = {'secs': {
    'soma': {'geom': {'diam': 18.8, 'L': 18.8, 'Ra': 123.0},
             'mechs': {'hh': {'gnabar': 0.12, 'gkbar': 0.036, 'gl': 0.003, 'el': -70}}},
    'dend': {'geom': {'diam': 5.0, 'L': 150.0, 'Ra': 150.0, 'cm': 1, 'nseg': 3},
             'topol': {'parentSec': 'soma', 'parentX': 1.0, 'childX': 0},
             'mechs': {'pas': {'g': 0.0000357, 'e': -70}}}}}
netParams.popParams['E'] = {'cellType': 'PYR', 'gridSpacing': 40, 'zRange': [0, 0]}  # 6 x 6 cells
netParams.synMechParams['exc'] = {'mod': 'Exp2Syn', 'tau1': 0.1, 'tau2': 5.0, 'e': 0}

netParams.connParams['E->E'] = {
    'preConds': {'pop': 'E'}, 'postConds': {'pop': 'E'},
    'probability': '0.6*exp(-dist_3D/probLength)',
    'weight': '0.004*exp(-dist_3D/(2*probLength))',
    'delay': 'defaultDelay + dist_3D/propVelocity',
    'synMech': 'exc', 'sec': 'dend', 'loc': 0.5}

netParams.stimSourceParams['bkg'] = {'type': 'NetStim', 'rate': 15, 'noise': 0.5}
netParams.stimTargetParams['bkg->E'] = {'source': 'bkg', 'conds': {'pop': 'E'}, 'weight': '0.02 + 0.04*post_ynorm',
                                        'delay': 2, 'synMech': 'exc', 'sec': 'soma', 'loc': 0.5}
netParams.stimSourceParams['hold'] = {'type': 'SEClamp', 'dur1': 1e9, 'amp1': -70, 'rs': 0.01}
netParams.stimTargetParams['hold->E0'] = {'source': 'hold', 'conds': {'pop': 'E', 'cellList': [0]},
                                          'sec': 'soma', 'loc': 0.5}

simConfig = specs.SimConfig()
simConfig.duration = 500
simConfig.dt = 0.025
simConfig.recordCells = [('E', [0, 35])]
simConfig.recordTraces = {'V_dend': {'sec': 'dend', 'loc': 0.9, 'var': 'v'}}
simConfig.filename = 'distance'
simConfig.analysis['plotRaster'] = {'saveFig': True}

if __name__ == '__main__':
    sim.createSimulateAnalyze(netParams=netParams, simConfig=simConfig)
    gids = sim.simData['spkid']
    cells = sim.net['pops']['E']['cellGids']
    print(f"E: {len(gids)} spikes, {len(gids) / len(cells) / (simConfig.duration / 1000):.1f} Hz")
    print(f"cell 0 (voltage-clamped): {sum(1 for g in gids if g == cells[0])} spikes")
    print(f"circuit and outputs in {sim.config_path.parent}")
