"""The placed synapses as a SONATA edge file (one row per synapse), for inspection or reuse.

Each edge population of the network becomes a population of the same name whose rows are its
synapses: ``source_node_id``, ``target_node_id``, ``edge_type_id`` as in the network, with
``afferent_section_id``/``afferent_section_pos`` (BMTK's section numbering), ``syn_weight``
(the NetCon weight) and ``delay``, plus ``edge_id`` (the network edge the synapse belongs to).
Read with the network's edge-types CSV, the file runs again with these exact locations.
"""

from __future__ import annotations

from pathlib import Path
from typing import Any

import numpy as np
import pandas as pd

from cantata.sonata.write import EdgeTable, write_edges


def write_synapse_file(path: Path, table: pd.DataFrame, circuit: Any) -> Path:
    """Write ``table`` (from ``NeuronNetwork.synapse_table``) to ``path``; return ``path``."""
    populations: dict[str, EdgeTable] = {}
    for name, rows in table.groupby("edge_population", sort=False):
        edges = circuit.edges[name]
        attributes: dict[str, np.ndarray] = {
            "edge_id": rows["edge_id"].to_numpy(np.int64),
            "syn_weight": rows["weight"].to_numpy(float),
            "delay": rows["delay"].to_numpy(float),
        }
        section = rows["section_id"].to_numpy(np.int64)
        if (section >= 0).all():
            attributes["afferent_section_id"] = section
            attributes["afferent_section_pos"] = rows["section_x"].to_numpy(float)
        populations[str(name)] = EdgeTable(
            source=edges.source, target=edges.target,
            source_node_id=rows["source_node_id"].to_numpy(np.int64),
            target_node_id=rows["target_node_id"].to_numpy(np.int64),
            edge_type_id=rows["edge_type_id"].to_numpy(np.int64),
            attributes=attributes,
            n_source_nodes=circuit.nodes[edges.source].size,
            n_target_nodes=circuit.nodes[edges.target].size,
        )
    return write_edges(path, populations, overwrite=True)
