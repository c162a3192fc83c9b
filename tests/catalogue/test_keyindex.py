"""The in-memory duplicate-key index: who holds a key, add-only."""

from __future__ import annotations

from services.catalogue.keyindex import IdIndex, KeyIndex


def test_a_key_answers_every_record_that_holds_it() -> None:
    index = KeyIndex()
    index.add("vmu:a", ["isbn:1", "url:x"])
    index.add("hpu:b", ["isbn:1"])
    index.add("hpu:c", ["isbn:1"])
    assert index.holders(["isbn:1"]) == {"vmu:a", "hpu:b", "hpu:c"}
    assert index.holders(["url:x", "doi:none"]) == {"vmu:a"}
    assert index.holders(["doi:none"]) == set()
    assert len(index) == 2


def test_adding_a_record_again_keeps_one_holder_and_its_old_keys() -> None:
    index = KeyIndex()
    index.add("vmu:a", ["work:old"])
    index.add("vmu:a", ["work:old", "work:new"])  # a new version with a new title
    assert index.holders(["work:old"]) == {"vmu:a"}  # the store check drops it later
    assert index.holders(["work:new"]) == {"vmu:a"}
    index.add("hpu:b", ["work:new"])
    index.add("hpu:b", ["work:new"])
    assert index.holders(["work:new"]) == {"vmu:a", "hpu:b"}


def test_ids_come_in_order_after_the_cursor_and_only_the_members() -> None:
    index = IdIndex()
    for rid in ("vmu:b", "vmu-x:a", "vmu:a", "hpu:z", "vmu:b", "vmua:a"):
        index.add(rid)
    assert list(index.after(None)) == ["hpu:z", "vmu-x:a", "vmu:a", "vmu:b", "vmua:a"]
    assert list(index.after("vmu:a")) == ["vmu:b", "vmua:a"]
    assert list(index.after(None, member="vmu")) == ["vmu:a", "vmu:b"]
    assert list(index.after("vmu:a", member="vmu")) == ["vmu:b"]
    assert list(index.after("zzz", member="vmu")) == []
    pages = index.after(None)
    index.add("aaa:first")  # added while a page is read: the page goes on as it began
    assert next(pages) == "hpu:z" and len(index) == 6
