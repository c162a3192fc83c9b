"""What each catalogue process keeps in memory about the stored records: which records hold
each duplicate key (``KeyIndex``), every record id in order (``IdIndex``) and the problem
codes of the active records (``QualityIndex``).

A multikey index in the store would answer the same question, but in the embedded
SecantusDB it costs about 45 µs per key on every insert, half of a batch's database time.
This index is filled from the stored ``_keys`` when first asked, then from every write of
this process and every ``records.changed`` of the others (see ``entrypoints.messaging``).

It only grows: a record whose keys changed still answers its old keys here. Callers check
each answer against the stored record (``MongoRecordStore.find_by_keys``), so an extra
answer costs one read, and no write can leave a key out. Keys are kept as their ``hash``
(this process's), a third of the memory of the strings; a collision is one more answer.
"""

from __future__ import annotations

import sys
from bisect import bisect_left, bisect_right
from collections.abc import Iterable, Iterator


class KeyIndex:
    """Record ids by duplicate key; add-only, answers a superset of the true holders."""

    def __init__(self) -> None:
        # Most keys have one holder: a bare id, a set only from the second holder on.
        self._holders: dict[int, str | set[str]] = {}

    def add(self, rid: str, keys: Iterable[str]) -> None:
        for key in keys:
            code = hash(key)
            held = self._holders.get(code)
            if held is None:
                self._holders[code] = rid
            elif isinstance(held, set):
                held.add(rid)
            elif held != rid:
                self._holders[code] = {held, rid}

    def holders(self, keys: Iterable[str]) -> set[str]:
        found: set[str] = set()
        for key in keys:
            held = self._holders.get(hash(key))
            if isinstance(held, set):
                found |= held
            elif held is not None:
                found.add(held)
        return found

    def __len__(self) -> int:
        """How many distinct keys are indexed."""
        return len(self._holders)


class IdIndex:
    """Every stored record id, for keyset pages in id order.

    SecantusDB reads a whole collection for any ``_id`` range (about 5 s a page at 100,000
    records), while ``$in`` on ids is a direct look-up: a page takes its ids from here. Filled
    and kept up to date like the ``KeyIndex``; records are never deleted, only withdrawn.
    """

    def __init__(self) -> None:
        self._ids: set[str] = set()
        self._sorted: list[str] = []
        self._dirty = False

    def add(self, rid: str) -> None:
        if rid not in self._ids:
            self._ids.add(rid)
            self._dirty = True

    def after(self, after: str | None, *, member: str | None = None) -> Iterator[str]:
        """The ids greater than ``after`` in order, only ``member``'s if given."""
        if self._dirty:
            self._sorted, self._dirty = sorted(self._ids), False
        ordered = self._sorted  # a snapshot: later additions do not move this iteration
        start = bisect_right(ordered, after) if after is not None else 0
        end = len(ordered)
        if member is not None:  # a member's ids are "<member>:…" (codes have no ':' or ';')
            start = max(start, bisect_left(ordered, f"{member}:"))
            end = bisect_left(ordered, f"{member};")
        return (ordered[i] for i in range(start, end))

    def __len__(self) -> int:
        return len(self._ids)


class QualityIndex:
    """The problem codes of every active record, for quality scores and counts.

    SecantusDB reads documents at about 0.3 ms each (a member's inbox over 100,000 records
    took 27 s, the network's 50 s): the counts come from here, the messages of one page from
    the store (``$in`` on its ids). Filled with the other indexes, then after every write of
    this process and every ``records.changed`` of the others; a withdrawn record leaves it.
    Unlike the ``KeyIndex`` it follows a write only once the write succeeded.
    """

    def __init__(self) -> None:
        self._codes: dict[str, tuple[str, ...]] = {}

    def set(self, rid: str, codes: Iterable[str] | None) -> None:
        """The record's codes now; ``None`` when it is not (or no longer) active."""
        if codes is None:
            self._codes.pop(rid, None)
        else:
            self._codes[rid] = tuple(sys.intern(c) for c in codes)

    def rows(self, ids: Iterable[str]) -> list[tuple[str, tuple[str, ...]]]:
        """``(record id, codes)`` of the active records among ``ids``, in their order."""
        codes = self._codes
        return [(rid, codes[rid]) for rid in ids if rid in codes]

    def __len__(self) -> int:
        return len(self._codes)
