"""The demo of ``make run``, read from ``devstack/demo/data/*.json``: the same members and
records it always had (its fingerprint unchanged when the data files replaced the module)."""

from __future__ import annotations

import json
from collections import Counter
from pathlib import Path

import pytest
from pydantic import ValidationError

from devstack.demo.content import CONTENT, DATA_DIR, load_content
from devstack.demo.members import MEMBERS
from devstack.demo.records import all_records
from shared.records import RecordIn

KINDS = {"database", "website", "service", "training", "publication"}


def test_the_demo_has_eleven_members_and_216_valid_records_of_all_five_kinds() -> None:
    records = [r for recs in all_records().values() for r in recs]
    assert len(MEMBERS) == 11
    assert len(records) == 216
    assert set(Counter(r["kind"] for r in records)) == KINDS
    for record in records:
        RecordIn.model_validate(record)


def test_every_data_file_belongs_to_a_member_that_has_records() -> None:
    with_records = {m.code for m in MEMBERS if m.has_records}
    assert set(CONTENT) == with_records == {p.stem for p in DATA_DIR.glob("*.json")}
    assert set(all_records()) == with_records


def test_a_data_file_with_a_misspelt_key_or_an_unknown_form_is_refused(tmp_path: Path) -> None:
    good = json.loads((DATA_DIR / "vmu.json").read_text(encoding="utf-8"))
    (tmp_path / "vmu.json").write_text(json.dumps(good), encoding="utf-8")
    assert load_content(tmp_path) == {"vmu": CONTENT["vmu"]}

    misspelt = {**good, "databases": [{**good["databases"][0], "subject": ["x"]}]}
    (tmp_path / "vmu.json").write_text(json.dumps(misspelt), encoding="utf-8")
    with pytest.raises(ValidationError):
        load_content(tmp_path)

    unknown_form = {**good, "publications": [{**good["publications"][0], "form": "poster"}]}
    (tmp_path / "vmu.json").write_text(json.dumps(unknown_form), encoding="utf-8")
    with pytest.raises(ValidationError):
        load_content(tmp_path)
