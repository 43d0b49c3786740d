"""Bad input through the real ``synth`` CLI: documented exit code, one clear line, no value.

One table of bad inputs (issue #7, item 1). Each case builds its files in a fresh folder,
runs a ``synth`` command on them and asserts

* the documented exit code (2 bad input, 4 impossible budget, 5 output not writable);
* a message naming the file, the column or the problem, on one ``error:`` line;
* that a distinctive value planted in the bad data never appears in stdout/stderr;
* that nothing was written or changed: the folder's files (hidden ones included) are
  byte-identical before and after, so there is no partial output and no temp leftover.

Most cases run in-process through typer's runner on the real app; the permission cases
run the ``synth`` console script in a subprocess (as root, with the capabilities that
bypass file permissions dropped, so that "not readable" and "not writable" are real).
Inputs the tool tolerates on purpose (a column that is entirely empty, huge finite
numbers, a column with 100k distinct values) are tested at the end: they succeed and
give whole, well-formed output.
"""

from __future__ import annotations

import hashlib
import json
import os
import shutil
import subprocess
from collections.abc import Callable
from dataclasses import dataclass
from pathlib import Path

import numpy as np
import pandas as pd
import pytest
from support import CANARY, SYNTH
from typer.testing import CliRunner

from synth.cli import app
from synth.io import tables

ROWS = 300

SCHEMA = """dataset: {}
columns:
  - {name: sex, type: categorical}
  - {name: age, type: numerical}
  - {name: admitted, type: datetime, format: "%Y-%m-%d"}
"""

runner = CliRunner()


def _frame(n: int = ROWS, seed: int = 0) -> pd.DataFrame:
    rng = np.random.default_rng(seed)
    days = pd.to_timedelta(rng.integers(0, 700, n), unit="D")
    return pd.DataFrame(
        {
            "sex": rng.choice(["F", "M"], n),
            "age": rng.integers(18, 95, n).astype(str),
            "admitted": (pd.Timestamp("2022-01-01") + days).strftime("%Y-%m-%d"),
        }
    )


def _csv(path: Path, df: pd.DataFrame) -> Path:
    df.to_csv(path, index=False)
    return path


def _good(d: Path) -> Path:
    return _csv(d / "data.csv", _frame())


def _schema(d: Path, text: str = SCHEMA) -> Path:
    p = d / "schema.yaml"
    p.write_text(text)
    return p


def _planted(d: Path, column: str, value: str, name: str = "data.csv") -> Path:
    df = _frame()
    df[column] = df[column].astype(object)
    df.loc[7, column] = value
    return _csv(d / name, df)


def _fit(data: Path, schema: Path, *extra: str, eps: str = "1") -> list[str]:
    out = data.parent / "model.synth"
    return ["fit", str(data), "--schema", str(schema), "--epsilon", eps, "--out", str(out), *extra]


def _release(data: Path, schema: Path, out: Path) -> list[str]:
    return ["release", str(data), "--schema", str(schema), "--epsilon", "1", "--out", str(out)]


@pytest.fixture(scope="module")
def model_file(tmp_path_factory: pytest.TempPathFactory) -> Path:
    """A real small model (fitted once) for the `sample` cases."""
    d = tmp_path_factory.mktemp("model")
    res = runner.invoke(app, _fit(_good(d), _schema(d)))
    assert res.exit_code == 0, res.output
    return d / "model.synth"


def _gzip_named_csv(d: Path) -> list[str]:
    import gzip

    p = d / "data.csv"
    p.write_bytes(gzip.compress(_frame().to_csv(index=False).encode()))
    return ["scan", str(p)]


def _zip(d: Path, members: dict[str, str]) -> list[str]:
    import zipfile

    p = d / "data.zip"
    with zipfile.ZipFile(p, "w") as zf:
        for name, text in members.items():
            zf.writestr(name, text)
    return ["scan", str(p)]


def _gzip_bomb(d: Path) -> list[str]:
    """64 MiB of one line in well under a MiB; the test lowers the limit to 16 MiB."""
    import gzip

    p = d / "data.csv.gz"
    p.write_bytes(gzip.compress(f"sex,age\n{CANARY},1\n".encode() + b"F,1\n" * (16 << 20)))
    return ["scan", str(p)]


def _two_delimiters_csv(d: Path) -> list[str]:
    """A header holding ';' and '|' and no comma: which one separates is unclear (a file
    holding one of them is read with it: tests/unit/test_tables.py)."""
    p = d / "data.csv"
    p.write_text(f"sex;age|admitted\n{CANARY};40|2022-01-01\n")
    return ["scan", str(p)]


def _sample_onto_a_table(d: Path, m: Path) -> list[str]:
    table = _good(d)  # the steward's real table: a sample must not replace it silently
    return ["sample", str(m), "--rows", "5", "--out", str(table)]


# -- the cases ------------------------------------------------------------------------------


@dataclass(frozen=True)
class Case:
    id: str
    build: Callable[[Path, Path], list[str]]  # (work folder, model file) → argv
    code: int
    needles: tuple[str, ...]
    unprivileged: bool = False  # run as a subprocess that file permissions apply to


def _parquet_no_rows(d: Path) -> list[str]:
    p = d / "data.parquet"
    _frame().head(0).to_parquet(p)
    return ["scan", str(p)]


def _bytes(name: str, content: bytes) -> Callable[[Path, Path], list[str]]:
    def build(d: Path, _m: Path) -> list[str]:
        (d / name).write_bytes(content)
        return ["scan", str(d / name)]

    return build


def _person_case(d: Path, *, missing: bool = False, bound: str = "auto", unit: bool = True):
    """A table of persons with several rows each; its schema names the person column."""
    df = _frame()
    df.insert(0, "pid", [f"P{i // 3:05d}" for i in range(len(df))])
    if missing:
        df.loc[7, "pid"] = None
        df.loc[8, "sex"] = CANARY
    head = f"dataset: {{privacy_unit: pid, max_rows_per_unit: {bound}}}" if unit else "dataset: {}"
    schema = (
        f"{head}\ncolumns:\n"
        "  - {name: pid, type: identifier, role: direct_identifier, action: replace,"
        " entity: MEDICAL_RECORD_NUMBER}\n"
        "  - {name: sex, type: categorical, static: true}\n"
        "  - {name: age, type: numerical}\n"
        '  - {name: admitted, type: datetime, format: "%Y-%m-%d"}\n'
    )
    return _fit(_csv(d / "data.csv", df), _schema(d, schema))


def _unreadable(d: Path, _m: Path) -> list[str]:
    p = _planted(d, "sex", CANARY)
    p.chmod(0)
    return ["scan", str(p)]


def _unwritable_release(d: Path, _m: Path) -> list[str]:
    locked = d / "locked"
    locked.mkdir()
    locked.chmod(0o555)
    return _release(_good(d), _schema(d), locked / "release")


def _unwritable_sample(d: Path, m: Path) -> list[str]:
    locked = d / "locked"
    locked.mkdir()
    locked.chmod(0o555)
    return ["sample", str(m), "--rows", "5", "--out", str(locked / "s.csv")]


def _old_release(d: Path, _m: Path) -> list[str]:
    out = d / "release"
    out.mkdir()
    (out / "synthetic.csv").write_text("old release\n")
    (out / "release.json").write_text("{}\n")
    return _release(_good(d), _schema(d), out)


def _out_is_file(d: Path, _m: Path) -> list[str]:
    (d / "taken").write_text("a file\n")
    return _release(_good(d), _schema(d), d / "taken")


def _out_under_file(d: Path, _m: Path) -> list[str]:
    (d / "taken").write_text("a file\n")
    return _release(_good(d), _schema(d), d / "taken" / "release")


def _truncated_model(d: Path, m: Path) -> list[str]:
    cut = d / "cut.synth"
    blob = m.read_bytes()
    cut.write_bytes(blob[: len(blob) // 2])
    return ["sample", str(cut), "--rows", "5", "--out", str(d / "s.csv")]


def _tampered_model(d: Path, m: Path) -> list[str]:
    bad = d / "bad.synth"
    blob = bytearray(m.read_bytes())
    mid = len(blob) // 2
    blob[mid : mid + 16] = bytes(16)
    bad.write_bytes(bytes(blob))
    return ["sample", str(bad), "--rows", "5", "--out", str(d / "s.csv")]


def _check_args(d: Path, synthetic: Path) -> list[str]:
    real = _good(d)
    hold = _csv(d / "holdout.csv", _frame(seed=1))
    return ["check", "--real", str(real), "--holdout", str(hold), "--synthetic", str(synthetic)]


def _too_big(d: Path, _m: Path) -> list[str]:
    return ["scan", str(_planted(d, "sex", CANARY))]


def _release_folder(d: Path, provenance: object = "hashes", tamper: str = "") -> Path:
    """A release folder by hand: a synthetic.csv holding the planted value and a
    release.json whose provenance lists its SHA-256 (computed here, not by the tool); then
    ``tamper``: 'changed', 'missing' or 'extra'."""
    rel = d / "rel"
    rel.mkdir()
    syn = _planted(rel, "sex", CANARY, name="synthetic.csv")
    (rel / "ledger.json").write_text("{}\n")
    files = {
        p.name: {"sha256": hashlib.sha256(p.read_bytes()).hexdigest()}
        for p in sorted(rel.iterdir())
    }
    prov = {"files": files} if provenance == "hashes" else provenance
    doc = {"passed": True} if prov is None else {"passed": True, "provenance": prov}
    (rel / "release.json").write_text(json.dumps(doc))
    if tamper == "changed":
        syn.write_text(syn.read_text().replace("F,", "M,", 1))
    elif tamper == "missing":
        (rel / "ledger.json").unlink()
    elif tamper == "extra":
        (rel / "notes.txt").write_text(f"{CANARY}\n")
    return rel


def _not_json(d: Path) -> Path:
    (d / "release.json").write_text(f'{{"passed": "{CANARY}"')
    return d


def _verify_case(
    provenance: object = "hashes", tamper: str = ""
) -> Callable[[Path, Path], list[str]]:
    return lambda d, m: ["verify", str(_release_folder(d, provenance, tamper))]


CASES: list[Case] = [
    # -- files and readers ---------------------------------------------------------------
    Case("missing-file", lambda d, m: ["scan", str(d / "nope.csv")], 2, ("nope.csv", "not found")),
    Case("empty-file", _bytes("data.csv", b""), 2, ("data.csv", "empty")),
    Case("whitespace-only", _bytes("data.csv", b"  \n\n \n"), 2, ("data.csv", "empty")),
    Case("header-only", _bytes("data.csv", b"sex,age\n"), 2, ("data.csv", "no rows")),
    Case("parquet-no-rows", lambda d, m: _parquet_no_rows(d), 2, ("data.parquet", "no rows")),
    Case(
        "folder-without-tables",
        lambda d, m: ["scan", str(d)],
        2,
        ("work", "no .parquet"),
    ),
    Case(
        "unknown-suffix",
        _bytes("data.xlsx", f"PK{CANARY}".encode()),
        2,
        ("data.xlsx", "unknown file type"),
    ),
    Case(
        "duplicate-column-names",
        _bytes("data.csv", f"sex,age,sex\nF,{CANARY},M\n".encode()),
        2,
        ("data.csv", "'sex'", "more than once"),
    ),
    Case(
        "empty-column-name",
        _bytes("data.csv", f"sex,,age\nF,{CANARY},40\n".encode()),
        2,
        ("data.csv", "column #2", "empty name"),
    ),
    Case(
        "ragged-row",
        _bytes("data.csv", f"sex,age\nF,40\nM,41,{CANARY},x\n".encode()),
        2,
        ("data.csv", "line 3", "fields"),
    ),
    Case(
        "non-utf8-bytes",
        _bytes("data.csv", b"sex,name\nF,Jos\xe9 " + CANARY.encode() + b"\n"),
        2,
        ("data.csv", "not UTF-8", "line 2"),
    ),
    Case(
        "malformed-header",
        _bytes("data.csv", b'sex,"age\n' + CANARY.encode() + b",1\n"),
        2,
        ("data.csv", "malformed"),
    ),
    Case(
        "corrupt-parquet",
        _bytes("data.parquet", b"PAR1" + CANARY.encode() + b"PAR1"),
        2,
        ("data.parquet", "not a readable Parquet"),
    ),
    Case("unreadable-file", _unreadable, 2, ("data.csv", "not readable"), unprivileged=True),
    Case("too-large-for-memory", _too_big, 2, ("data.csv", "too large for memory")),
    # -- schema against data ---------------------------------------------------------------
    Case(
        "schema-missing",
        lambda d, m: _fit(_good(d), d / "none.yaml"),
        2,
        ("none.yaml", "not found"),
    ),
    Case(
        "schema-empty",
        lambda d, m: _fit(_good(d), _schema(d, "\n")),
        2,
        ("schema.yaml", "empty"),
    ),
    Case(
        "schema-not-yaml",
        lambda d, m: _fit(_good(d), _schema(d, "columns: [\n  - {name: x")),
        2,
        ("schema.yaml", "YAML", "line"),
    ),
    Case(
        "schema-not-a-mapping",
        lambda d, m: _fit(_good(d), _schema(d, "- sex\n- age\n")),
        2,
        ("schema.yaml", "mapping"),
    ),
    Case(
        "schema-unknown-type",
        lambda d, m: _fit(_good(d), _schema(d, SCHEMA.replace("numerical", "banana"))),
        2,
        ("schema.yaml", "column 'age'", "type"),
    ),
    Case(
        "schema-column-not-in-data",
        lambda d, m: _fit(_good(d), _schema(d, SCHEMA + "  - {name: weight, type: numerical}\n")),
        2,
        ("data.csv", "'weight'", "not in the data"),
    ),
    Case(
        "data-column-not-in-schema",
        lambda d, m: _fit(_csv(d / "data.csv", _frame().assign(ward=CANARY)), _schema(d)),
        2,
        ("data.csv", "'ward'", "not in the schema"),
    ),
    Case(
        "mixed-types-in-numeric-column",
        lambda d, m: _fit(_planted(d, "age", CANARY), _schema(d)),
        2,
        ("data.csv", "'age'", "numerical", "1 value(s)"),
    ),
    Case(
        "infinite-number",
        lambda d, m: _fit(_planted(d, "age", "inf"), _schema(d)),
        2,
        ("data.csv", "'age'", "infinite"),
    ),
    Case(
        "number-overflowing-float",
        lambda d, m: _fit(_planted(d, "age", "9" * 400), _schema(d)),
        2,
        ("data.csv", "'age'", "out-of-range"),
    ),
    Case(
        "unparseable-date",
        lambda d, m: _fit(_planted(d, "admitted", CANARY), _schema(d)),
        2,
        ("data.csv", "'admitted'", "cannot be parsed as dates", "%Y-%m-%d"),
    ),
    Case(
        "impossible-calendar-date",
        lambda d, m: _fit(_planted(d, "admitted", "2023-02-30"), _schema(d)),
        2,
        ("data.csv", "'admitted'", "cannot be parsed as dates"),
    ),
    # -- privacy budget --------------------------------------------------------------------
    Case("epsilon-zero", lambda d, m: _fit(_good(d), _schema(d), eps="0"), 4, ("epsilon",)),
    Case("epsilon-negative", lambda d, m: _fit(_good(d), _schema(d), eps="-1"), 4, ("epsilon",)),
    Case("epsilon-nan", lambda d, m: _fit(_good(d), _schema(d), eps="nan"), 4, ("epsilon",)),
    Case(
        "epsilon-absurd",
        lambda d, m: _fit(_good(d), _schema(d), eps="1000"),
        4,
        ("epsilon", "limit 100"),
    ),
    Case(
        "delta-absurd",
        lambda d, m: _fit(_good(d), _schema(d), "--delta", "0.5"),
        4,
        ("delta", "(0, 0.01)"),
    ),
    Case(
        "delta-zero",
        lambda d, m: _fit(_good(d), _schema(d), "--delta", "0"),
        4,
        ("delta", "(0, 0.01)"),
    ),
    Case(
        "too-few-rows-for-the-budget",
        # decided on the DP estimate of the rows (s.d. of a few rows at ε = 8), never n
        lambda d, m: _fit(_csv(d / "data.csv", _frame(12)), _schema(d), eps="8"),
        4,
        ("training rows (DP estimate)", "too few"),
    ),
    Case(  # the README's exit 4 for too few rows, not "no rows" (exit 2)
        "release-one-row-table",
        lambda d, m: _release(
            _csv(d / "data.csv", _frame(1).assign(sex=CANARY)), _schema(d), d / "rel"
        ),
        4,
        ("too few rows", "holdout"),
    ),
    Case(
        "release-one-row-table-scanned",
        lambda d, m: [
            "release",
            str(_csv(d / "data.csv", _frame(1).assign(sex=CANARY))),
            "--epsilon",
            "1",
            "--out",
            str(d / "rel"),
        ],
        4,
        ("too few rows", "holdout"),
    ),
    Case(  # one column, and it is dropped as an identifier: nothing left to model
        "release-one-column-all-dropped",
        lambda d, m: [
            "release",
            str(
                _csv(
                    d / "data.csv",
                    pd.DataFrame({"email": [f"u{i}@example.com" for i in range(ROWS)]}),
                )
            ),
            "--epsilon",
            "1",
            "--out",
            str(d / "rel"),
        ],
        2,
        ("data.csv", "no column to model"),
    ),
    # -- output ------------------------------------------------------------------------------
    Case("out-holds-a-release", _old_release, 5, ("release", "not empty", "--overwrite")),
    Case("out-is-a-file", _out_is_file, 5, ("taken", "not a folder")),
    Case("out-under-a-file", _out_under_file, 5, ("taken", "cannot create output folder")),
    Case(
        "release-out-not-writable",
        _unwritable_release,
        5,
        ("locked", "not writable"),
        unprivileged=True,
    ),
    Case(
        "sample-out-not-writable",
        _unwritable_sample,
        5,
        ("locked", "not writable"),
        unprivileged=True,
    ),
    Case(  # /proc takes no files, not even from root (mkstemp fails there, not access())
        "sample-out-in-virtual-filesystem",
        lambda d, m: ["sample", str(m), "--rows", "5", "--out", "/proc/synth-sample.csv"],
        5,
        ("/proc", "output folder"),
    ),
    Case(
        "sample-unknown-output-type",
        lambda d, m: ["sample", str(m), "--rows", "5", "--out", str(d / "s.xlsx")],
        2,
        ("s.xlsx", "unknown output type"),
    ),
    Case(
        "sample-onto-an-existing-file",
        _sample_onto_a_table,
        2,
        ("data.csv", "already exists", "--overwrite"),
    ),
    Case("gzip-bytes-named-csv", lambda d, m: _gzip_named_csv(d), 2, ("gzip-compressed",)),
    Case(
        "two-other-delimiters",
        lambda d, m: _two_delimiters_csv(d),
        2,
        ("data.csv", "';' and '|'", "unclear"),
    ),
    Case(
        "zip-with-two-files",
        lambda d, m: _zip(d, {"a.csv": f"sex\n{CANARY}\n", "b.csv": "sex\nF\n"}),
        2,
        ("data.zip", "holds 2 files"),
    ),
    Case(
        "zip-member-not-csv",
        lambda d, m: _zip(d, {"data.xlsx": CANARY}),
        2,
        ("data.zip", "'data.xlsx'", "not a CSV"),
    ),
    Case(
        "gzip-truncated",
        _bytes("data.csv.gz", __import__("gzip").compress(f"sex\n{CANARY}\n".encode())[:20]),
        2,
        ("data.csv.gz", "not readable gzip", "truncated"),
    ),
    Case("gzip-decompression-bomb", lambda d, m: _gzip_bomb(d), 2, ("data.csv.gz", "16.0 MiB")),
    Case(
        "zstd-not-read",
        _bytes("data.csv.zst", b"\x28\xb5\x2f\xfd" + CANARY.encode()),
        2,
        ("data.csv.zst", "zstd", "decompress it first"),
    ),
    Case(
        "sample-zero-rows",
        lambda d, m: ["sample", str(m), "--rows", "0", "--out", str(d / "s.csv")],
        2,
        ("rows must be positive",),
    ),
    Case(
        "release-zero-rows",
        lambda d, m: [*_release(_good(d), _schema(d), d / "rel"), "--rows", "0"],
        2,
        ("rows must be positive", "--rows"),
    ),
    Case(  # refused before the fit, with the memory it would take
        "release-rows-beyond-memory",
        lambda d, m: [*_release(_good(d), _schema(d), d / "rel"), "--rows", str(10**12)],
        2,
        ("--rows 1000000000000", "too large for memory", "GiB"),
    ),
    Case(  # as the issue typed it: scientific notation is read, then refused for memory
        "release-rows-1e12-as-typed",
        lambda d, m: [*_release(_good(d), _schema(d), d / "rel"), "--rows", "1e12"],
        2,
        ("--rows 1000000000000", "too large for memory", "GiB"),
    ),
    Case(
        "sample-rows-not-whole",
        lambda d, m: ["sample", str(m), "--rows", "2.5", "--out", str(d / "s.csv")],
        2,
        ("--rows", "'2.5' is not a whole number of rows"),
    ),
    Case("truncated-model", _truncated_model, 2, ("cut.synth",)),
    Case("tampered-model", _tampered_model, 2, ("bad.synth",)),
    # -- privacy unit (issue 17) ----------------------------------------------------------
    Case("person-id-missing", lambda d, m: _person_case(d, missing=True), 2, ("'pid'", "missing")),
    Case(
        "person-bound-out-of-range",
        lambda d, m: _person_case(d, bound="101"),
        2,
        ("schema.yaml", "max_rows_per_unit"),
    ),
    Case(
        "static-without-person",
        lambda d, m: _person_case(d, unit=False),
        2,
        ("schema.yaml", "static", "privacy_unit"),
    ),
    # -- leakage check -------------------------------------------------------------------
    Case(
        "check-no-shared-column",
        lambda d, m: _check_args(d, _csv(d / "syn.csv", pd.DataFrame({"zz": [CANARY] * 5}))),
        2,
        ("synthetic table lacks compared column", "'zz'", "--rename"),
    ),
    Case(
        "check-synthetic-contradicts-schema",
        lambda d, m: [
            *_check_args(d, _planted(d, "age", CANARY, name="syn.csv")),
            "--schema",
            str(_schema(d)),
        ],
        2,
        ("synthetic", "'age'", "numerical"),
    ),
    # -- synth verify (issue 20) ---------------------------------------------------------
    Case(
        "verify-folder-missing", lambda d, m: ["verify", str(d / "nope")], 2, ("nope", "not found")
    ),
    Case(
        "verify-not-a-folder",
        lambda d, m: ["verify", str(_good(d))],
        2,
        ("data.csv", "not a folder"),
    ),
    Case(
        "verify-no-release-json",
        lambda d, m: ["verify", str(_planted(d, "sex", CANARY).parent)],
        2,
        ("work", "no release.json"),
    ),
    Case(
        "verify-release-json-not-json",
        lambda d, m: ["verify", str(_not_json(d))],
        2,
        ("release.json", "not valid JSON"),
    ),
    Case(
        "verify-release-without-provenance",
        _verify_case(provenance=None),
        2,
        ("release.json", "no provenance"),
    ),
    Case(
        "verify-provenance-without-files",
        _verify_case(provenance={"inputs": [], "files": {}}),
        2,
        ("release.json", "no provenance"),
    ),
    Case(
        "verify-provenance-names-a-path",
        _verify_case(provenance={"files": {"../data.csv": {"sha256": "0" * 64}}}),
        2,
        ("release.json", "malformed", "../data.csv"),
    ),
    Case(
        "verify-changed-file",
        _verify_case(tamper="changed"),
        2,
        ("rel", "NOT intact", "changed: synthetic.csv"),
    ),
    Case(
        "verify-missing-file",
        _verify_case(tamper="missing"),
        2,
        ("rel", "NOT intact", "missing: ledger.json"),
    ),
    Case(
        "verify-unlisted-file",
        _verify_case(tamper="extra"),
        2,
        ("rel", "NOT intact", "not in the release: notes.txt"),
    ),
    Case(
        "verify-data-missing",
        lambda d, m: ["verify", str(_release_folder(d)), "--data", str(d / "gone.csv")],
        2,
        ("gone.csv", "not found"),
    ),
    # -- the steward's loop (issue 20): conditions, rebalancing, drift --------------------
    Case(
        "sample-where-unknown-column",
        lambda d, m: _sample_where(d, m, "--where", "height=3"),
        2,
        ("height", "not modelled"),
    ),
    Case(
        "sample-where-value-outside-domain",
        lambda d, m: _sample_where(d, m, "--where", "sex=Q"),
        2,
        ("'Q'", "sex", "not among"),
    ),
    Case(
        "sample-where-zero-probability",
        lambda d, m: _sample_where(d, m, "--where", "age>=1000"),
        2,
        ("probability ~0", "no row"),
    ),
    Case(
        "sample-where-unreadable",
        lambda d, m: _sample_where(d, m, "--where", "sex"),
        2,
        ("--where", "cannot read 'sex'"),
    ),
    Case(
        "sample-where-not-a-number",
        lambda d, m: _sample_where(d, m, "--where", "age>=old"),
        2,
        ("age>=old", "not a number"),
    ),
    Case(
        "sample-rebalance-numeric-column",
        lambda d, m: _sample_where(d, m, "--rebalance", "age"),
        2,
        ("age", "not categorical"),
    ),
    Case(
        "sample-rebalance-shares-above-one",
        lambda d, m: _sample_where(d, m, "--rebalance", "sex=F:0.7,M:0.6"),
        2,
        ("--rebalance", "add up to 1.300"),
    ),
    Case(
        "drift-new-data-missing",
        lambda d, m: ["drift", str(m), str(d / "gone.csv")],
        2,
        ("gone.csv", "not found"),
    ),
    Case(
        "drift-new-data-lacks-a-column",
        lambda d, m: [
            "drift",
            str(m),
            str(_csv(d / "new.csv", _frame().assign(sex=CANARY).drop(columns=["age"]))),
        ],
        2,
        ("new.csv", "lacks the modelled column", "age"),
    ),
    Case(
        "drift-model-missing",
        lambda d, m: ["drift", str(d / "gone.synth"), str(_good(d))],
        2,
        ("gone.synth", "model file not found"),
    ),
]


def _sample_where(d: Path, m: Path, *extra: str) -> list[str]:
    return ["sample", str(m), "--rows", "5", "--out", str(d / "s.csv"), *extra]


def _snapshot(root: Path) -> dict[str, str]:
    """Every file and folder under ``root`` (hidden ones too) with a hash of its bytes."""
    out: dict[str, str] = {}
    for dirpath, dirnames, filenames in os.walk(root):
        for name in dirnames:
            out[os.path.relpath(os.path.join(dirpath, name), root)] = "dir"
        for name in filenames:
            p = Path(dirpath) / name
            try:
                out[str(p.relative_to(root))] = hashlib.sha256(p.read_bytes()).hexdigest()
            except PermissionError:
                out[str(p.relative_to(root))] = "unreadable"
    return out


def _invoke(argv: list[str], *, unprivileged: bool) -> tuple[int, str]:
    if not unprivileged:
        res = runner.invoke(app, argv)
        return res.exit_code, res.output
    cmd = [SYNTH, *argv]
    if os.geteuid() == 0:  # root reads and writes anything: drop the capabilities that allow it
        setpriv = shutil.which("setpriv")
        if setpriv is None:
            pytest.skip("running as root without setpriv: permissions cannot be enforced")
        cmd = [setpriv, "--bounding-set", "-dac_override,-dac_read_search", *cmd]
    env = {**os.environ, "COLUMNS": "500"}  # no wrapping of long paths in messages
    proc = subprocess.run(cmd, capture_output=True, text=True, timeout=120, env=env)
    return proc.returncode, proc.stdout + proc.stderr


def test_the_table_is_big_enough() -> None:
    assert len({c.id for c in CASES}) == len(CASES) >= 60  # issue 20's target


@pytest.mark.parametrize("case", CASES, ids=[c.id for c in CASES])
def test_bad_input(
    case: Case, tmp_path: Path, model_file: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    if case.id == "too-large-for-memory":  # the real guard, against a tiny memory figure
        monkeypatch.setattr(tables, "available_memory", lambda: 64 * 1024)
    if case.id == "gzip-decompression-bomb":  # the real guard, at a limit a test can reach
        monkeypatch.setenv("SYNTH_MAX_DECOMPRESSED_GB", str(16 / 1024))
    work = tmp_path / "work"
    work.mkdir()
    argv = case.build(work, model_file)
    before = _snapshot(work)
    try:
        code, output = _invoke(argv, unprivileged=case.unprivileged)
    finally:
        for p in [work, *work.rglob("*")]:  # let pytest clean up what the case locked
            p.chmod(0o700 if p.is_dir() else 0o600)
    assert code == case.code, output
    for needle in case.needles:
        assert needle in output, (needle, output)
    assert CANARY not in output and "Traceback" not in output
    errors = [line for line in output.splitlines() if "error" in line.lower()]
    assert len(errors) == 1, output  # one line says what is wrong
    assert _snapshot(work) == before  # nothing written, changed or left behind


# -- inputs the tool accepts on purpose ----------------------------------------------------


def _fit_and_sample(tmp_path: Path, df: pd.DataFrame, schema: str, eps: str = "10") -> pd.DataFrame:
    """Fit (fresh noise every run) and sample 200 rows. ε = 10 by default: at ε = 1 a
    300-row table's DP category selection keeps F, M, both or neither by chance, and these
    cases test input handling, not small-table fidelity."""
    data = _csv(tmp_path / "data.csv", df)
    res = runner.invoke(app, _fit(data, _schema(tmp_path, schema), eps=eps))
    assert res.exit_code == 0, res.output
    out = tmp_path / "syn.csv"
    res = runner.invoke(
        app, ["sample", str(tmp_path / "model.synth"), "--rows", "200", "--out", str(out)]
    )
    assert res.exit_code == 0, res.output
    assert sorted(p.name for p in tmp_path.iterdir()) == [
        "data.csv",
        "model.synth",
        "schema.yaml",
        "syn.csv",
    ]
    return pd.read_csv(out, dtype=str, keep_default_na=False, na_values=[""])


def test_column_entirely_empty_is_modelled_as_missing(tmp_path: Path) -> None:
    df = _frame()
    df["age"] = None
    syn = _fit_and_sample(tmp_path, df, SCHEMA)
    # the 'missing' token holds all the true mass; DP noise may give a few rows a value
    assert len(syn) == 200 and syn["age"].isna().mean() > 0.9
    # sex is nullable by default, so DP noise on its (empty) missing cell may show too
    assert set(syn["sex"].dropna()) <= {"F", "M"} and syn["sex"].isna().mean() < 0.1


def test_huge_finite_numbers_are_accepted(tmp_path: Path) -> None:
    df = _frame()
    df["age"] = df["age"].astype(float) * 1e300
    syn = _fit_and_sample(tmp_path, df, SCHEMA)
    x = syn["age"].astype(float)
    # DP noise may give the (empty) 'missing' cell a few rows; every number is finite
    assert len(syn) == 200 and np.isfinite(x.dropna()).all() and x.notna().mean() > 0.9


def test_column_with_100k_distinct_values(tmp_path: Path) -> None:
    """A 100k-category column: no single value survives DP partition selection, so none of
    its real values can come back."""
    n = 100_000
    rng = np.random.default_rng(0)
    codes = [f"C{i:06d}" for i in rng.permutation(n)]
    df = pd.DataFrame({"code": codes, "sex": rng.choice(["F", "M"], n)})
    schema = "dataset: {}\ncolumns:\n  - {name: code, type: categorical}\n"
    schema += "  - {name: sex, type: categorical}\n"
    syn = _fit_and_sample(tmp_path, df, schema)
    assert not set(syn["code"].dropna()) & set(codes)


def test_keys_that_crash_pandas_number_parser(tmp_path: Path) -> None:
    """pandas 2.3's to_numeric segfaults on '820e28588050405e9a0f…' (a digit run, 'e', a
    huge exponent); such hex keys occur about once in a few thousand random UUIDs. The
    scan, the fit and the gate probe every column for numbers: a real process must exit
    normally (not with a signal) on a table full of them."""
    rng = np.random.default_rng(0)
    n = 400
    keys = [f"{rng.integers(100, 999)}e{rng.integers(10**9, 10**10)}{'ab' * 8}" for _ in range(n)]
    df = pd.DataFrame(
        {"key": keys, "x": rng.normal(size=n).round(2), "g": rng.choice(["a", "b"], n)}
    )
    data = _csv(tmp_path / "keys.csv", df)
    done = subprocess.run(
        [SYNTH, "release", str(data), "--out", str(tmp_path / "rel"), "--epsilon", "1"],
        capture_output=True,
        text=True,
    )
    assert done.returncode in (0, 1, 2, 3), (done.returncode, done.stderr[-500:])


def test_person_with_ten_thousand_rows_is_bounded(tmp_path: Path) -> None:
    """One person holding 10,000 rows among 300 one-row persons: the fit keeps at most k
    of them (a DP choice under ``auto``), synthetic persons hold at most k rows, and no
    person's rows dominate the model."""
    many = _frame(10_000, seed=1).assign(pid="PBIG", sex="M")
    few = _frame(ROWS).assign(sex="F")
    few.insert(0, "pid", [f"P{i:05d}" for i in range(ROWS)])
    df = pd.concat([few, many[few.columns]], ignore_index=True)
    schema = (
        "dataset: {privacy_unit: pid, max_rows_per_unit: auto}\ncolumns:\n"
        "  - {name: pid, type: identifier, role: direct_identifier, action: replace,"
        " entity: MEDICAL_RECORD_NUMBER}\n"
        "  - {name: sex, type: categorical, static: true, domain: {categories: [F, M]}}\n"
        "  - {name: age, type: numerical}\n"
        '  - {name: admitted, type: datetime, format: "%Y-%m-%d"}\n'
    )
    syn = _fit_and_sample(tmp_path, df, schema)
    assert syn["pid"].value_counts().max() <= 10
    assert (syn["sex"] == "M").mean() < 0.2  # 10,000 rows of M would be 97 % unbounded


# -- two releases into one folder (issue 20) -----------------------------------------------


def test_release_into_a_folder_another_release_holds(tmp_path: Path) -> None:
    """The first release holds the folder's lock (taken here, as it would): the second
    fails at once with exit 5 and writes nothing, so only one can say RELEASED."""
    import fcntl

    from synth.io.atomic import lock_path

    work = tmp_path / "work"
    work.mkdir()
    argv = _release(_planted(work, "sex", CANARY), _schema(work), work / "release")
    fd = os.open(lock_path(work / "release"), os.O_RDWR | os.O_CREAT)
    try:
        fcntl.flock(fd, fcntl.LOCK_EX | fcntl.LOCK_NB)
        before = _snapshot(work)
        code, output = _invoke(argv, unprivileged=False)
        after = _snapshot(work)
    finally:
        os.close(fd)
    assert code == 5, output
    assert "another release is writing" in output and "release" in output
    assert CANARY not in output and "Traceback" not in output and "RELEASED" not in output
    assert len([line for line in output.splitlines() if "error" in line.lower()]) == 1, output
    assert after == before


@pytest.mark.parametrize("kind", ["categorical", "numerical"])
def test_one_column_table_is_released(tmp_path: Path, kind: str) -> None:
    """A one-column table through ``synth release`` (scan, fit, gate): released, or
    blocked by the gate with a report; never an internal error (issue 20)."""
    rng = np.random.default_rng(0)
    col = rng.choice(["F", "M"], ROWS) if kind == "categorical" else rng.integers(18, 95, ROWS)
    data = _csv(tmp_path / "data.csv", pd.DataFrame({"x": col}))
    out = tmp_path / "rel"
    res = runner.invoke(app, ["release", str(data), "--epsilon", "1", "--out", str(out)])
    assert res.exit_code in (0, 3), res.output
    assert "RELEASED" in res.output or "BLOCKED" in res.output
    assert (out / "release.json").exists() and (out / "report.html").exists()
    if res.exit_code == 0:
        syn = pd.read_csv(out / "synthetic.csv")
        assert list(syn.columns) == ["x"] and len(syn) > 0
