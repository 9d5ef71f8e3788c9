"""What a benchmark is made of: scenarios, pairs of sides, and the sides (standard library only)."""

from __future__ import annotations

from collections.abc import Callable
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any

REPO = Path(__file__).resolve().parents[1]
MAIN_ENV = "main"  # the interpreter running the harness (Cantata's environment)
PEERS_ENV = "peers"  # .venv-peers

Check = dict[str, Any]
Agreement = Callable[[Check, Check], "str | None"]


@dataclass(frozen=True)
class Side:
    """One side of a pair: a function run in a child process.

    ``target`` is ``"package.module:function"``; the function gets ``(params, workdir)`` and
    returns ``{"phases": {...}, "cpu": {...}, "check": {...}, "info": {...}}`` (what
    ``benchmarks.timing.Phases.result`` builds). ``env`` is ``"main"``
    (Cantata's interpreter) or ``"peers"`` (``.venv-peers``). ``available`` returns None when
    the side can run, else why not (it runs in the harness process: keep it cheap, and test
    with ``importlib.util.find_spec`` rather than importing engines).
    """

    label: str
    target: str = ""
    env: str = MAIN_ENV
    threads: int = 1
    available: Callable[[], str | None] | None = None
    extra_env: dict[str, str] = field(default_factory=dict)
    #: Alternative to ``target``: a script run as ``python -m <script> <args>`` that prints one
    #: JSON object on its last stdout line; ``adapt`` (run in the harness) turns that object
    #: into ``{"phases", "check", "info"}``. ``{workdir}`` in ``args`` is replaced.
    script: str | None = None
    args: tuple[str, ...] = ()
    adapt: Callable[[dict[str, Any]], dict[str, Any]] | None = None
    #: Files or folders (relative to the work folder) removed before each run, for sides
    #: whose tool refuses to overwrite its earlier output.
    clean: tuple[str, ...] = ()


@dataclass(frozen=True)
class Pair:
    """A Cantata side and its peer (None: Cantata only) measured on the same input.

    ``phases`` orders the table rows (phases a side reports but that are not listed come
    after). ``min_throughput`` maps a phase to the lowest acceptable peer-time/Cantata-time.
    ``agree`` compares the sides' checks (default: equal, floats to 1e-9 relative).
    """

    name: str
    cantata: Side
    peer: Side | None = None
    phases: tuple[str, ...] = ()
    description: str = ""
    min_throughput: dict[str, float] = field(default_factory=dict)
    agree: Agreement | None = None


@dataclass(frozen=True)
class Scenario:
    """A named benchmark: sizes (parameter sets), a one-off input builder and pairs."""

    name: str
    title: str
    sizes: dict[str, dict[str, Any]]
    pairs: Callable[[dict[str, Any]], list[Pair]]
    prepare: str | None = None  # "module:function" building the input once, run in a child
    available: Callable[[], str | None] | None = None
    timeout: float = 300.0  # seconds per child run
    description: str = ""
    default_size: str = "full"
