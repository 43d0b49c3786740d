from __future__ import annotations

import json
from pathlib import Path

import pytest

from synth.errors import SchemaError
from synth.schema import json_schema, load_schema, parse_schema

ROOT = Path(__file__).resolve().parents[2]


def _write(tmp_path: Path, text: str) -> Path:
    p = tmp_path / "s.yaml"
    p.write_text(text)
    return p


def test_sample_schema_loads(schema_path: Path) -> None:
    s = load_schema(schema_path)
    assert s.dataset.target == "readmitted_30d"
    assert s.column("ssn").role == "direct_identifier"
    assert not s.column("ssn").modelled
    assert s.column("zip").modelled


def test_json_schema_file_is_current() -> None:
    on_disk = json.loads((ROOT / "schemas" / "schema.json").read_text())
    assert on_disk == json_schema(), "regenerate schemas/schema.json from synth.schema.json_schema"


def test_error_names_file_column_and_problem(tmp_path: Path) -> None:
    p = _write(
        tmp_path, "columns:\n  - {name: age, type: numerical}\n  - {name: sex, type: bogus}\n"
    )
    with pytest.raises(SchemaError) as exc:
        load_schema(p)
    msg = str(exc.value)
    assert str(p) in msg and "column 'sex'" in msg and "type" in msg


def test_bad_domain_is_named(tmp_path: Path) -> None:
    p = _write(tmp_path, "columns:\n  - {name: age, type: numerical, domain: {min: 10, max: 1}}\n")
    with pytest.raises(SchemaError, match="column 'age'.*greater than max"):
        load_schema(p)


@pytest.mark.parametrize(
    ("text", "needle"),
    [
        ("", "empty"),
        ("columns: [\n", "not valid YAML"),
        ("- a\n- b\n", "mapping"),
        ("columns: []\n", "columns"),
        (
            "columns:\n  - {name: a, type: categorical}\n  - {name: a, type: categorical}\n",
            "declared twice",
        ),
        (
            "columns:\n  - {name: ssn, type: identifier, role: direct_identifier, action: keep}\n",
            "cannot be kept",
        ),
        ("dataset: {target: nope}\ncolumns:\n  - {name: a, type: categorical}\n", "'nope'"),
        (
            "columns:\n  - {name: a, type: categorical}\nconstraints:\n"
            "  - {kind: inequality, low: a, high: a}\n",
            "not numerical",
        ),
        ("dataset: {epsilon: -1}\ncolumns:\n  - {name: a, type: categorical}\n", "epsilon"),
    ],
)
def test_invalid_schemas(tmp_path: Path, text: str, needle: str) -> None:
    with pytest.raises(SchemaError, match=needle):
        load_schema(_write(tmp_path, text))


def test_missing_schema_file(tmp_path: Path) -> None:
    with pytest.raises(SchemaError, match="not found"):
        load_schema(tmp_path / "nope.yaml")


def test_yaml_cannot_run_code(tmp_path: Path) -> None:
    p = _write(tmp_path, "!!python/object/apply:os.system ['echo pwned']\n")
    with pytest.raises(SchemaError, match="not valid YAML"):
        load_schema(p)


def test_round_trip() -> None:
    s = parse_schema(
        {"columns": [{"name": "a", "type": "categorical", "domain": {"categories": ["x", "y"]}}]}
    )
    import yaml

    from synth.schema import dump_schema

    again = parse_schema(yaml.safe_load(dump_schema(s)))
    assert again == s


def test_candidate_categories_are_partial_and_categorical_only() -> None:
    from pydantic import ValidationError

    from synth.schema.model import Column, Domain

    col = Column(name="country", type="categorical", domain=Domain(candidates=["France", "Peru"]))
    assert col.domain.candidates == ["France", "Peru"] and col.domain.categories is None
    for bad in (
        {"categories": ["a"], "candidates": ["b"]},
        {"candidates": []},
        {"candidates": ["a", "a"]},
    ):
        with pytest.raises(ValidationError):
            Domain(**bad)
    with pytest.raises(ValidationError):
        Column(name="n", type="numerical", domain=Domain(candidates=["1"]))
