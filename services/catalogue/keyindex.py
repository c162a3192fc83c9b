"""Which records hold each duplicate key: the catalogue process's in-memory look-up.

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

from collections.abc import Iterable


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
