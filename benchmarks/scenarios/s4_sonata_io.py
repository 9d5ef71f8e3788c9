"""S4, SONATA I/O: Cantata's format layer against bare h5py on the same files, same run.

Pairs (full size: 10M edges between 100k nodes, 10M spikes):

* ``edges_read``: open a 10M-edge population and read ``source_node_id``, ``target_node_id``,
  ``edge_type_id`` and ``syn_weight`` (Cantata ``EdgePopulation`` vs ``h5py`` dataset reads),
  then ``syn_weight`` once more (Cantata caches the group layout after the first attribute).
* ``edges_write``: write the same population (Cantata ``write_edges`` from user arrays:
  validation, order check, both index tables, atomic move; h5py: the same datasets, index
  tables precomputed outside the timed phase, i.e. the I/O floor).
* ``spikes``: write then read back 10M spikes (Cantata ``SpikeTrains`` ``write_h5``/``read``
  vs the same two datasets and attributes with h5py).
* ``spikes_unsorted``: Cantata only, the spike write when the input is not yet in
  (time, id) order (the sort is then part of the write).

Throughput C/P = h5py time / Cantata time; the target (issue 3) is >= 0.8 for each dataset
read, the whole read, and the write and read of the spikes. Opening the file (well under a
millisecond), the repeated attribute read and the edge write have no target: the h5py side of
the edge write is handed the index tables that ``write_edges`` builds, so that pair measures
index building as much as I/O.
Sides import numpy, h5py and Cantata only when they run (they run in child processes).
"""

from __future__ import annotations

from pathlib import Path
from typing import Any

from benchmarks.spec import Pair, Scenario, Side
from benchmarks.timing import Phases

POPULATION = "net_to_net"
NODES = "net"
EDGES_FILE = "edges.h5"
ATTRIBUTE = "syn_weight"
TARGET = 0.8  # minimum throughput of Cantata relative to bare h5py
MODULE = __name__

SIZES: dict[str, dict[str, Any]] = {
    "full": {"n_nodes": 100_000, "edges_per_target": 100, "n_spikes": 10_000_000, "seed": 8},
    "small": {"n_nodes": 20_000, "edges_per_target": 50, "n_spikes": 1_000_000, "seed": 8},
    "tiny": {"n_nodes": 200, "edges_per_target": 10, "n_spikes": 5_000, "seed": 8},
}


# ------------------------------------------------------------------------------- inputs
def edge_arrays(params: dict[str, Any]) -> dict[str, Any]:
    """Deterministic edges, sorted by (target, source) as a builder emits them."""
    import numpy as np

    rng = np.random.default_rng(params["seed"])
    n, k = params["n_nodes"], params["edges_per_target"]
    key = np.repeat(np.arange(n, dtype=np.int64) * n, k) + rng.integers(0, n, n * k)
    key.sort()
    target, source = np.divmod(key, n)
    return {
        "source": source, "target": target,
        "type": rng.integers(100, 104, n * k, dtype=np.int64),
        "weight": rng.random(n * k),
        "n_nodes": n,
    }


def spike_arrays(params: dict[str, Any], *, ordered: bool = True) -> tuple[Any, Any]:
    """Deterministic spikes of ``n_nodes`` cells over 1 s on a 0.1 ms grid (int64 ids, ms).

    ``ordered``: sorted by (time, id), as Cantata writes them; else in random order.
    """
    import numpy as np

    rng = np.random.default_rng(params["seed"] + 1)
    n, n_nodes = params["n_spikes"], params["n_nodes"]
    key = rng.integers(0, 10_000 * n_nodes, n)  # time step * n_nodes + node id
    if ordered:
        key.sort()
    steps, ids = np.divmod(key, n_nodes)
    times = steps / 10.0
    return ids, times


def prepare(params: dict[str, Any], workdir: Path) -> dict[str, Any]:
    """Write the edge file that ``edges_read`` reads, with Cantata's writer."""
    from cantata.sonata.write import write_edges

    edges = edge_arrays(params)
    write_edges(workdir / EDGES_FILE, {POPULATION: _edge_table(edges)}, overwrite=True)
    return {}


def _edge_table(edges: dict[str, Any]) -> Any:
    from cantata.sonata.write import EdgeTable

    return EdgeTable(NODES, NODES, edges["source"], edges["target"], edges["type"],
                     {ATTRIBUTE: edges["weight"]}, edges["n_nodes"], edges["n_nodes"])


def _column_check(**columns: Any) -> dict[str, Any]:
    """Count and CRC-32 of each column's values in order (integers as int64, floats as float64),
    so both sides agree only when they hold the same values in the same order (untimed)."""
    import zlib

    import numpy as np

    check: dict[str, Any] = {}
    for name, values in columns.items():
        wanted = np.dtype(np.int64 if values.dtype.kind in "iu" else np.float64)
        # Same-size dtypes are viewed, not copied, so the check does not add to peak memory.
        common = values.view(wanted) if values.dtype.itemsize == 8 else values.astype(wanted)
        check[f"{name}_n"] = int(values.size)
        check[f"{name}_crc32"] = zlib.crc32(np.ascontiguousarray(common).data)
    return check


def _file_check(path: Path) -> dict[str, Any]:
    """Counts and sums of every dataset in an HDF5 file, and its hard links (untimed)."""
    import h5py
    import numpy as np

    check: dict[str, Any] = {}

    def visit(name: str, obj: Any) -> None:
        if isinstance(obj, h5py.Dataset):
            values = obj[()]
            check[f"{name}:n"] = int(values.size)
            check[f"{name}:dtype"] = str(values.dtype)
            total = values.sum(dtype=np.uint64 if values.dtype.kind in "iu" else np.float64)
            check[f"{name}:sum"] = total.item()

    with h5py.File(path, "r") as h5:
        h5.visititems(visit)
        pop = h5[f"edges/{POPULATION}"]
        for direction in ("source_to_target", "target_to_source"):
            index = pop[f"indices/{direction}"]
            check[f"{direction}:linked"] = index["node_id_to_range"].id == index["node_id_to_ranges"].id
    return check


# ----------------------------------------------------------------------------- edges read
def cantata_edges_read(params: dict[str, Any], workdir: Path) -> dict[str, Any]:
    from cantata.sonata.circuit import EdgePopulation

    phases = Phases()
    with phases("open"):
        pop = EdgePopulation(workdir / EDGES_FILE, POPULATION)
    with phases("source_node_id"):
        source = pop.source_node_ids()
    with phases("target_node_id"):
        target = pop.target_node_ids()
    with phases("edge_type_id"):
        types = pop.edge_type_ids()
    with phases(ATTRIBUTE):
        weight = pop.get_attribute(ATTRIBUTE)
    phases.total("read (all)")
    with phases(f"{ATTRIBUTE} again"):
        weight = pop.get_attribute(ATTRIBUTE)
    pop.close()
    return phases.result(_column_check(source=source, target=target, type=types, weight=weight),
                         {"dtypes": [str(a.dtype) for a in (source, target, types, weight)]})


def h5py_edges_read(params: dict[str, Any], workdir: Path) -> dict[str, Any]:
    import h5py

    phases = Phases()
    with phases("open"):
        h5 = h5py.File(workdir / EDGES_FILE, "r")
        group = h5[f"edges/{POPULATION}"]
    with phases("source_node_id"):
        source = group["source_node_id"][()]
    with phases("target_node_id"):
        target = group["target_node_id"][()]
    with phases("edge_type_id"):
        types = group["edge_type_id"][()]
    with phases(ATTRIBUTE):
        weight = group[f"0/{ATTRIBUTE}"][()]
    phases.total("read (all)")
    with phases(f"{ATTRIBUTE} again"):
        weight = group[f"0/{ATTRIBUTE}"][()]
    h5.close()
    return phases.result(_column_check(source=source, target=target, type=types, weight=weight),
                         {"dtypes": [str(a.dtype) for a in (source, target, types, weight)]})


# ---------------------------------------------------------------------------- edges write
def cantata_edges_write(params: dict[str, Any], workdir: Path) -> dict[str, Any]:
    from cantata.sonata.write import write_edges

    table = _edge_table(edge_arrays(params))
    path = workdir / "edges_cantata.h5"
    path.unlink(missing_ok=True)
    phases = Phases()
    with phases("write"):
        write_edges(path, {POPULATION: table})
    return phases.result(_file_check(path), {"file_mb": round(path.stat().st_size / 2**20, 1)})


def h5py_edges_write(params: dict[str, Any], workdir: Path) -> dict[str, Any]:
    """The same datasets and attributes as Cantata's file, from arrays already in memory."""
    import h5py

    with h5py.File(workdir / EDGES_FILE, "r") as src:  # untimed: the arrays to write
        root_attrs = dict(src.attrs)
        pop = src[f"edges/{POPULATION}"]
        top = {name: pop[name][()] for name in
               ("source_node_id", "target_node_id", "edge_type_id", "edge_group_id", "edge_group_index")}
        weight = pop[f"0/{ATTRIBUTE}"][()]
        indices = {d: {n: pop[f"indices/{d}/{n}"][()] for n in ("node_id_to_ranges", "range_to_edge_id")}
                   for d in ("source_to_target", "target_to_source")}
    path = workdir / "edges_h5py.h5"
    path.unlink(missing_ok=True)
    phases = Phases()
    with phases("write"):
        with h5py.File(path, "w") as h5:
            for key, value in root_attrs.items():
                h5.attrs[key] = value
            group = h5.create_group(f"edges/{POPULATION}")
            for name, values in top.items():
                dataset = group.create_dataset(name, data=values)
                if name in ("source_node_id", "target_node_id"):
                    dataset.attrs["node_population"] = NODES
            group.create_group("0").create_dataset(ATTRIBUTE, data=weight)
            for direction, tables in indices.items():
                index = group.create_group(f"indices/{direction}")
                for name, values in tables.items():
                    index.create_dataset(name, data=values)
                index["node_id_to_range"] = index["node_id_to_ranges"]
    return phases.result(_file_check(path), {"file_mb": round(path.stat().st_size / 2**20, 1)})


# --------------------------------------------------------------------------------- spikes
def cantata_spikes(params: dict[str, Any], workdir: Path, *, ordered: bool = True) -> dict[str, Any]:
    from cantata.sonata.spikes import SpikeTrains

    ids, times = spike_arrays(params, ordered=ordered)
    path = workdir / ("spikes_cantata.h5" if ordered else "spikes_cantata_unsorted.h5")
    path.unlink(missing_ok=True)
    phases = Phases()
    with phases("write"):
        SpikeTrains.from_arrays(ids, times, population=NODES).write_h5(path)
    with phases("read"):
        read_ids, read_times = SpikeTrains.read(path).population(NODES)
    return phases.result(_column_check(ids=read_ids, times=read_times))


def cantata_spikes_unsorted(params: dict[str, Any], workdir: Path) -> dict[str, Any]:
    return cantata_spikes(params, workdir, ordered=False)


def h5py_spikes(params: dict[str, Any], workdir: Path) -> dict[str, Any]:
    """What a careful h5py user writes: the spec's datasets, units and sorting attributes."""
    import h5py
    import numpy as np

    ids, times = spike_arrays(params)
    path = workdir / "spikes_h5py.h5"
    path.unlink(missing_ok=True)
    sorting = h5py.enum_dtype({"none": 0, "by_id": 1, "by_time": 2}, basetype=np.uint8)
    phases = Phases()
    with phases("write"):
        with h5py.File(path, "w") as h5:
            h5.attrs["version"] = np.array([0, 1], dtype=np.uint32)
            h5.attrs["magic"] = np.uint32(0x0A7A)
            group = h5.create_group(f"spikes/{NODES}")
            group.attrs.create("sorting", 2, dtype=sorting)
            group.create_dataset("timestamps", data=times).attrs["units"] = "ms"
            # The ids are non-negative int64, so their bytes already are the uint64 values: a
            # view, no conversion pass (Cantata writes its validated ids the same way).
            group.create_dataset("node_ids", data=ids.view(np.uint64))
    with phases("read"):
        with h5py.File(path, "r") as h5:
            group = h5[f"spikes/{NODES}"]
            read_ids = group["node_ids"][()]
            read_times = group["timestamps"][()]
    return phases.result(_column_check(ids=read_ids, times=read_times))


# ------------------------------------------------------------------------------- scenario
def _cantata_available() -> str | None:
    import importlib.util

    for module in ("cantata.sonata.circuit", "cantata.sonata.spikes", "cantata.sonata.write"):
        if importlib.util.find_spec(module) is None:
            return f"{module} is not there"
    return None


def pairs(params: dict[str, Any]) -> list[Pair]:
    targets = {"read (all)": TARGET, "source_node_id": TARGET, "target_node_id": TARGET,
               "edge_type_id": TARGET, ATTRIBUTE: TARGET}
    def h5py_side(function: str) -> Side:
        return Side("h5py", f"{MODULE}:{function}")

    def cantata(function: str) -> Side:
        return Side("Cantata", f"{MODULE}:{function}", available=_cantata_available)

    edges = params["n_nodes"] * params["edges_per_target"]
    return [
        Pair("edges_read", cantata("cantata_edges_read"), h5py_side("h5py_edges_read"),
             phases=("open", "source_node_id", "target_node_id", "edge_type_id", ATTRIBUTE, "read (all)",
                     f"{ATTRIBUTE} again"),
             description=f"{edges:,} edges: EdgePopulation source/target/type ids and {ATTRIBUTE} "
                         "vs h5py reads of the same datasets",
             min_throughput=targets),
        Pair("edges_write", cantata("cantata_edges_write"), h5py_side("h5py_edges_write"),
             phases=("write",),
             description=f"{edges:,} edges: write_edges from arrays (checks, both indices) vs h5py "
                         "writing the same datasets from precomputed arrays (no target: the index "
                         "tables are built on one side only)"),
        Pair("spikes", cantata("cantata_spikes"), h5py_side("h5py_spikes"), phases=("write", "read"),
             description=f"{params['n_spikes']:,} spikes in (time, id) order: SpikeTrains write_h5 "
                         "then read vs h5py",
             min_throughput={"write": TARGET, "read": TARGET}),
        Pair("spikes_unsorted", cantata("cantata_spikes_unsorted"), None, phases=("write", "read"),
             description="Cantata only: the same spikes in random order, sorted by the writer"),
    ]


SCENARIO = Scenario(
    name="s4",
    title="S4 SONATA I/O",
    description="10M edges and 10M spikes written and read: Cantata's format layer vs bare h5py",
    sizes=SIZES,
    pairs=pairs,
    prepare=f"{MODULE}:prepare",
    available=_cantata_available,
    timeout=300.0,
)
