"""Type-id allocation shared by every builder in the process.

Node type ids and edge type ids are handed out from process-wide counters starting at 100
(BMTK's first id), so the types of several networks built in one script never collide when
their types tables are loaded into one circuit. Ids given explicitly by the user, or read
from an imported file, are recorded so that automatic ids skip them.
"""

from __future__ import annotations


class TypeIdAllocator:
    """Hands out unique integer type ids, skipping ids already claimed."""

    def __init__(self, first: int = 100) -> None:
        self._next = first
        self._claimed: set[int] = set()

    def new(self) -> int:
        """Return an id no one has claimed yet and claim it."""
        while self._next in self._claimed:
            self._next += 1
        value = self._next
        self._claimed.add(value)
        self._next += 1
        return value

    def claim(self, value: int) -> None:
        """Record an id chosen elsewhere so that :meth:`new` never returns it."""
        self._claimed.add(int(value))


NODE_TYPE_IDS = TypeIdAllocator()
EDGE_TYPE_IDS = TypeIdAllocator()
