"""The steward's review in the report (issue 20): a release with --schema keeps the
scan's evidence and shows, column by column, where the reviewed schema differs from the
scan's draft; a scan.json next to the schema is used when it is a scan of this table."""

from __future__ import annotations

import json
from html import unescape
from pathlib import Path

import pandas as pd
import pytest
from test_report import SCHEMA, N, _build, _synthetic, _table

from synth.releasing import _scan_beside
from synth.report import render_html
from synth.report.review import schema_review
from synth.schema import Schema, parse_schema
from synth.schema.io import schema_to_dict


@pytest.fixture(scope="module")
def schema() -> Schema:
    return parse_schema(SCHEMA)


@pytest.fixture(scope="module")
def tables() -> dict[str, pd.DataFrame]:
    train = _table(N, seed=1)
    return {"train": train, "holdout": _table(N // 3, seed=2), "synthetic": _synthetic(train, 3)}


def _draft() -> dict:
    """The scan's draft of the test table: the reviewed schema before the steward's edits."""
    d = json.loads(json.dumps(SCHEMA))
    d["dataset"].pop("target")
    by = {c["name"]: c for c in d["columns"]}
    by["zip"] = {"name": "zip", "type": "categorical", "role": "quasi_identifier"}
    d["columns"] = [by[n] for n in by]
    d["columns"].append({"name": "ward_code", "type": "categorical"})
    return d


def test_review_lists_the_stewards_changes(schema: Schema, tables: dict[str, pd.DataFrame]) -> None:
    draft = _draft()
    scan = {"nlp_engine": "offline", "columns": [], "schema": draft}
    report, figures = _build(
        schema, tables, scan=scan, schema_reviewed=True, scan_note="read from scan.json"
    )
    assert report["verdict"]["schema"] == "reviewed"
    rv = report["pii_scan"]["review"]
    assert rv == {
        "source": "read from scan.json",
        **schema_review(parse_schema(draft), schema),
    }
    got = {(c["column"], c["field"]) for c in rv["changes"]}
    zip_reviewed = next(c for c in SCHEMA["columns"] if c["name"] == "zip")
    assert ("zip", "action") in got and zip_reviewed["action"] == "generalise"
    assert ("ward_code", "column") in got  # drafted, left out in review
    assert {"field": "target", "draft": "—", "reviewed": "outcome"} in rv["dataset"]
    page = unescape(render_html(report, figures))
    assert "The steward's review" in page and "Scan read from scan.json." in page
    assert "not in the reviewed schema" in page and "no scan result given" not in page


def test_without_a_scan_or_as_a_draft_there_is_no_review(
    schema: Schema, tables: dict[str, pd.DataFrame]
) -> None:
    scan = {"columns": [], "schema": _draft()}
    drafted, _ = _build(schema, tables, scan=scan)  # the scan's own draft was used
    assert drafted["verdict"]["schema"] != "reviewed" and "review" not in drafted["pii_scan"]
    broken, _ = _build(schema, tables, scan={"columns": []}, schema_reviewed=True)
    assert broken["pii_scan"]["review"]["unavailable"].startswith("the scan holds no")


def test_scan_json_next_to_the_schema_is_used_only_for_this_table(
    schema: Schema, tmp_path: Path
) -> None:
    data = pd.DataFrame({c["name"]: ["x"] for c in SCHEMA["columns"]})
    path = tmp_path / "schema.yaml"
    assert _scan_beside(path, data) == (None, None)  # no scan.json
    scan = {"columns": [{"name": c} for c in data.columns], "schema": schema_to_dict(schema)}
    (tmp_path / "scan.json").write_text(json.dumps(scan))
    found, note = _scan_beside(path, data)
    assert found == scan and note == "read from scan.json next to the schema"
    assert _scan_beside(path, data.drop(columns=["zip"])) == (None, None)  # another table
    (tmp_path / "scan.json").write_text("{not json")
    assert _scan_beside(path, data) == (None, None)


def test_the_review_and_bin_edges_validate_against_the_report_schema(
    schema: Schema, tables: dict[str, pd.DataFrame]
) -> None:
    import jsonschema

    spec = json.loads(
        (Path(__file__).resolve().parents[2] / "schemas" / "report.schema.json").read_text()
    )
    scan = {"nlp_engine": "offline", "columns": [], "schema": _draft()}
    report, _ = _build(schema, tables, scan=scan, schema_reviewed=True)
    jsonschema.validate(report, spec)
    assert {r.get("bin_edges") for r in report["fidelity"]["columns"]} >= {"quantile ranks"}
    bad = json.loads(json.dumps(report))
    bad["pii_scan"]["review"]["changes"][0]["draft"] = 3
    with pytest.raises(jsonschema.ValidationError):
        jsonschema.validate(bad, spec)
    bad = json.loads(json.dumps(report))
    bad["fidelity"]["columns"][0]["bin_edges"] = "the real values"
    with pytest.raises(jsonschema.ValidationError):
        jsonschema.validate(bad, spec)
