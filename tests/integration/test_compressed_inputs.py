"""Every command that reads a table takes it compressed or tab-separated (issue 20): scan,
fit, release, check, drift and strip through the real CLI, each on another format, and
no decompressed copy is left behind afterwards."""

from __future__ import annotations

import bz2
import gzip
import json
import lzma
import zipfile
from pathlib import Path

import numpy as np
import pandas as pd
import pytest
from typer.testing import CliRunner

from synth.cli import app
from synth.io import compressed

runner = CliRunner()

SCHEMA = """dataset: {}
columns:
  - {name: sex, type: categorical, domain: {categories: [F, M]}}
  - {name: age, type: numerical, domain: {min: 18, max: 95}}
  - {name: ward, type: categorical, domain: {categories: [A, B, C]}}
"""


def _frame(n: int, seed: int) -> pd.DataFrame:
    rng = np.random.default_rng(seed)
    return pd.DataFrame(
        {
            "sex": rng.choice(["F", "M"], n),
            "age": rng.integers(18, 95, n).astype(str),
            "ward": rng.choice(["A", "B", "C"], n),
        }
    )


def _save(df: pd.DataFrame, path: Path) -> Path:
    """``df`` at ``path`` in the format its name says (.gz, .bz2, .xz, .zip, .tsv)."""
    inner = path.name.removesuffix(path.suffix) if path.suffix != ".tsv" else path.name
    sep = "\t" if inner.endswith(".tsv") else ","
    raw = df.to_csv(index=False, sep=sep).encode()
    if path.suffix == ".gz":
        path.write_bytes(gzip.compress(raw))
    elif path.suffix == ".bz2":
        path.write_bytes(bz2.compress(raw))
    elif path.suffix == ".xz":
        path.write_bytes(lzma.compress(raw))
    elif path.suffix == ".zip":
        with zipfile.ZipFile(path, "w", compression=zipfile.ZIP_DEFLATED) as zf:
            zf.writestr("table.csv", raw)
    else:
        path.write_bytes(raw)
    return path


def _ok(argv: list[str]) -> str:
    res = runner.invoke(app, argv)
    assert res.exit_code == 0, res.output
    assert compressed._state["dir"] is None  # the private copy went with the command
    return res.output


@pytest.fixture(scope="module")
def work(tmp_path_factory: pytest.TempPathFactory) -> Path:
    d = tmp_path_factory.mktemp("compressed")
    (d / "schema.yaml").write_text(SCHEMA)
    _save(_frame(400, 0), d / "train.csv.gz")
    _ok(
        [
            *("fit", str(d / "train.csv.gz"), "--schema", str(d / "schema.yaml")),
            *("--epsilon", "1", "--out", str(d / "model.synth")),
        ]
    )
    return d


def test_scan_reads_a_bzip2_tsv(work: Path) -> None:
    data = _save(_frame(300, 1), work / "scan.tsv.bz2")
    _ok(["scan", str(data), "--json", str(work / "scan.json")])
    found = json.loads((work / "scan.json").read_text())
    assert {c["name"] for c in found["columns"]} == {"sex", "age", "ward"}
    assert found["schema"]["dataset"]["name"] == "scan"  # not "scan.tsv"


def test_fit_read_a_gzip_csv(work: Path) -> None:
    assert (work / "model.synth").stat().st_size > 0


def test_release_reads_a_zip(tmp_path: Path) -> None:
    (tmp_path / "schema.yaml").write_text(SCHEMA)
    data = _save(_frame(400, 2), tmp_path / "data.zip")
    out = tmp_path / "rel"
    res = runner.invoke(
        app,
        [
            *("release", str(data), "--schema", str(tmp_path / "schema.yaml")),
            *("--epsilon", "1", "--out", str(out)),
        ],
    )
    assert res.exit_code in (0, 3), res.output
    assert compressed._state["dir"] is None
    release = json.loads((out / "release.json").read_text())
    # the provenance hashes the file the steward gave, not the temporary copy
    assert [i["path"] for i in release["provenance"]["inputs"]] == [str(data)]
    assert "synth-input-" not in (out / "report.html").read_text()
    assert sorted(p.name for p in tmp_path.iterdir()) == ["data.zip", "rel", "schema.yaml"]


def test_check_reads_compressed_real_and_holdout(work: Path) -> None:
    hold = _save(_frame(400, 3), work / "hold.csv.xz")
    syn = _save(_frame(400, 4), work / "syn.tsv")
    out = runner.invoke(
        app,
        [
            *("check", "--real", str(work / "train.csv.gz"), "--holdout", str(hold)),
            *("--synthetic", str(syn), "--schema", str(work / "schema.yaml")),
        ],
    )
    assert out.exit_code in (0, 3), out.output  # independent draws: the gate decides
    assert compressed._state["dir"] is None


def test_drift_reads_a_compressed_extract(work: Path) -> None:
    new = _save(_frame(400, 5), work / "new.csv.xz")
    output = _ok(["drift", str(work / "model.synth"), str(new)])
    assert "verdict" in output


def test_strip_reads_a_compressed_table(work: Path) -> None:
    data = _save(_frame(50, 6), work / "strip.csv.gz")
    _ok(["strip", str(data), "--schema", str(work / "schema.yaml"), "--out", str(work / "s.csv")])
    assert len(pd.read_csv(work / "s.csv")) == 50


def test_the_library_release_drops_its_copy(tmp_path: Path) -> None:
    """``synth.release`` from Python: the decompressed copy is gone when it returns (not
    only at interpreter exit)."""
    import synth

    (tmp_path / "schema.yaml").write_text(SCHEMA)
    data = _save(_frame(400, 7), tmp_path / "data.csv.bz2")
    result = synth.release(
        data, epsilon=1, out_dir=tmp_path / "rel", schema_path=tmp_path / "schema.yaml"
    )
    assert result.passed in (True, False)
    assert not compressed._copies
    left = compressed._state["dir"]
    assert left is None or not any(Path(str(left)).rglob("*.csv"))


def test_a_temporary_folder_inside_the_output_folder_is_refused(
    tmp_path: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    """The decompressed copy is never written inside the release folder: TMPDIR pointing
    there is refused before any work (exit 5)."""
    import tempfile

    (tmp_path / "schema.yaml").write_text(SCHEMA)
    data = _save(_frame(100, 8), tmp_path / "data.csv.gz")
    out = tmp_path / "rel"
    (out / "tmp").mkdir(parents=True)
    monkeypatch.setattr(tempfile, "tempdir", str(out / "tmp"))
    res = runner.invoke(
        app,
        [
            *("release", str(data), "--schema", str(tmp_path / "schema.yaml")),
            *("--epsilon", "1", "--out", str(out), "--overwrite"),
        ],
    )
    assert res.exit_code == 5, res.output
    assert "TMPDIR" in res.output and "inside the output folder" in res.output
    assert list((out / "tmp").iterdir()) == []


def test_a_local_cluster_reads_the_decompressed_copy(work: Path) -> None:
    """``--cluster local``: the workers (other processes) load their chunks from the
    private copy, and the scan equals the in-process one."""
    data = _save(_frame(300, 9), work / "cluster.csv.gz")
    found = {}
    for how, extra in (("here", []), ("local", ["--cluster", "local"])):
        js = work / f"cluster-{how}.json"
        _ok(["scan", str(data), "--insecure-seed", "1", "--json", str(js), *extra])
        found[how] = json.loads(js.read_text())
    assert found["local"]["rows"] == found["here"]["rows"] == 300
    assert found["local"]["schema"] == found["here"]["schema"]
