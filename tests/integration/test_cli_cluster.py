"""``synth scan``, ``check``, ``fit``, ``release`` and ``report`` with and without
``--cluster`` (issue #8).

The real CLI runs on a slice of the sample table, once without a cluster and once on
Dask; the JSON must be identical (timing aside), with the same exit code, and no
identifying value of the slice may be printed. To keep the file fast, the commands run
through typer's runner in this process (the NLP stack is imported once) against one
LocalCluster of two worker processes (the session's, from conftest) joined by its address;
one test runs the ``synth`` console script in a subprocess with ``--cluster local``.
"""

from __future__ import annotations

import json
import os
import subprocess
from pathlib import Path
from typing import Any

import numpy as np
import pandas as pd
import pytest
from support import CANARY, SYNTH
from typer.testing import CliRunner

from synth.cli import app

#: columns whose values identify a patient: none of them may appear in any output
IDENTIFYING = ["patient_id", "mrn", "full_name", "ssn", "phone", "email", "street_address"]
TRAIN, HOLDOUT, SYNTHETIC, COPIES = 800, 400, 500, 15
#: rows of the table scanned (the first training rows): the scan's cost is per value
SCANNED = 400


@pytest.fixture(scope="module")
def files(tmp_path_factory: pytest.TempPathFactory, sample_path: Path) -> dict[str, Any]:
    """The table scanned, train, holdout, and a synthetic table holding copies."""
    work = tmp_path_factory.mktemp("cli_cluster")
    df = pd.read_csv(sample_path, dtype=str, keep_default_na=False).iloc[: TRAIN + HOLDOUT]
    train, holdout = df.iloc[:TRAIN], df.iloc[TRAIN:]
    rng = np.random.default_rng(0)
    synthetic = pd.DataFrame(
        {c: train[c].to_numpy()[rng.integers(0, TRAIN, SYNTHETIC)] for c in train.columns}
    )
    synthetic.iloc[:COPIES] = train.iloc[rng.integers(0, TRAIN, COPIES)].to_numpy()
    paths = {
        "scanned": work / "scanned.csv",
        "train": work / "train.csv",
        "holdout": work / "holdout.csv",
    }
    train.iloc[:SCANNED].to_csv(paths["scanned"], index=False)
    train.to_csv(paths["train"], index=False)
    holdout.to_csv(paths["holdout"], index=False)
    paths["synthetic"] = work / "synthetic.csv"
    synthetic.to_csv(paths["synthetic"], index=False)
    needles = {v for c in IDENTIFYING for v in df[c] if v}
    return {"work": work, **paths, "needles": needles}


class Ran:
    """A finished command: exit code and everything it printed (stdout and stderr)."""

    def __init__(self, code: int, printed: str) -> None:
        self.code, self.printed = code, printed
        self.flat = " ".join(printed.split())  # as one line, whatever the terminal width


def _synth(*args: str) -> Ran:
    """The CLI app in this process (exit code as ``synth`` would return it)."""
    res = CliRunner().invoke(app, list(args))
    return Ran(res.exit_code, res.output)


def _console_script(*args: str) -> Ran:
    """The installed ``synth`` console script in a subprocess."""
    env = {**os.environ, "COLUMNS": "200"}
    proc = subprocess.run(
        [SYNTH, *args], capture_output=True, text=True, timeout=300, env=env, check=False
    )
    return Ran(proc.returncode, proc.stdout + proc.stderr)


def _stable(path: Path) -> dict[str, Any]:
    """The JSON without its timing, nor its provenance (start/end times, the command line
    with or without --cluster, hashes of the report, which holds its build time)."""
    payload = json.loads(path.read_text())
    payload.pop("seconds", None)
    payload.pop("stages", None)
    payload.pop("provenance", None)
    return payload


def _nothing_identifying(ran: Ran, needles: set[str]) -> None:
    assert "Traceback" not in ran.printed
    leaked = [v for v in needles if v in ran.printed]
    assert not leaked, f"{len(leaked)} identifying value(s) printed"


def _scan(files: dict[str, Any], tag: str, *extra: str) -> tuple[Ran, dict[str, Any], str]:
    work = files["work"]
    ran = _synth(
        "scan",
        str(files["scanned"]),
        "--insecure-seed",  # test only: the same row sample here and on the cluster
        "3",
        "--json",
        str(work / f"scan-{tag}.json"),
        "--schema-out",
        str(work / f"schema-{tag}.yaml"),
        *extra,
    )
    assert ran.code == 0, ran.printed[-2000:]
    return ran, _stable(work / f"scan-{tag}.json"), (work / f"schema-{tag}.yaml").read_text()


def _check(
    files: dict[str, Any], tag: str, schema: Path, *extra: str, run: Any = _synth
) -> tuple[Ran, str]:
    work = files["work"]
    ran = run(
        "check",
        "--real",
        str(files["train"]),
        "--holdout",
        str(files["holdout"]),
        "--synthetic",
        str(files["synthetic"]),
        "--schema",
        str(schema),
        "--json",
        str(work / f"check-{tag}.json"),
        "--filter",
        str(work / f"kept-{tag}.csv"),
        "--insecure-seed",  # the attack targets, so that two runs can be compared
        "0",
        *extra,
    )
    assert ran.code in (0, 3), ran.printed[-2000:]
    return ran, json.dumps(_stable(work / f"check-{tag}.json"), sort_keys=True)


@pytest.fixture(scope="module")
def in_process_check(files: dict[str, Any], schema_path: Path) -> tuple[Ran, str]:
    return _check(files, "here", schema_path)


def test_scan_is_identical_on_a_cluster(files: dict[str, Any], scheduler: str) -> None:
    here, scan_here, schema_here = _scan(files, "here")
    there, scan_there, schema_there = _scan(files, "dask", "--cluster", scheduler)
    assert scan_here == scan_there
    assert schema_here == schema_there
    assert scan_here["rows"] == SCANNED and scan_here["scan_method"]["sample_rows"] == SCANNED
    roles = {c["name"]: c["role"] for c in scan_here["columns"]}
    assert roles["ssn"] == "direct_identifier" and roles["clinical_note"] == "free_text"
    assert "scan method: 1 chunk(s) in this process" in here.flat
    assert "scan method: 1 chunk(s) on Dask (2 workers)" in there.flat
    for ran in (here, there):
        _nothing_identifying(ran, files["needles"])


def test_check_is_identical_on_a_cluster(
    files: dict[str, Any], schema_path: Path, scheduler: str, in_process_check: tuple[Ran, str]
) -> None:
    here, payload_here = in_process_check
    there, payload_there = _check(files, "dask", schema_path, "--cluster", scheduler)
    assert here.code == there.code == 3  # the planted copies block the gate
    assert payload_here == payload_there
    assert len(json.loads(payload_here)["flagged_rows"]) >= COPIES
    kept = [(files["work"] / f"kept-{tag}.csv").read_bytes() for tag in ("here", "dask")]
    assert kept[0] == kept[1]  # --filter removes the same rows
    for ran in (here, there):
        _nothing_identifying(ran, files["needles"])


def test_check_with_cluster_local(
    files: dict[str, Any], schema_path: Path, in_process_check: tuple[Ran, str]
) -> None:
    """``--cluster local`` starts (and stops) its own two workers: the same result."""
    ran, payload = _check(files, "local", schema_path, "--cluster", "local", run=_console_script)
    assert ran.code == 3
    assert payload == in_process_check[1]
    _nothing_identifying(ran, files["needles"])


def test_bad_rows_found_on_a_worker_are_bad_input(
    files: dict[str, Any], scheduler: str, tmp_path: Path
) -> None:
    """A ragged row is parsed (and refused) on a worker: exit 2, one line, no value."""
    bad = tmp_path / "ragged.csv"
    bad.write_text(f"sex,age\nF,40\nM,41\nF,{CANARY},x\n")
    ran = _synth("scan", str(bad), "--cluster", scheduler)
    assert ran.code == 2, ran.printed
    assert "ragged.csv" in ran.flat and "line 4 does not have the 2 fields" in ran.flat
    assert CANARY not in ran.printed and "Traceback" not in ran.printed
    assert len([line for line in ran.printed.splitlines() if "error" in line.lower()]) == 1


def test_unknown_cluster_spec_is_bad_input(files: dict[str, Any]) -> None:
    ran = _synth("scan", str(files["scanned"]), "--cluster", "nowhere")
    assert ran.code == 2 and "--cluster 'nowhere'" in ran.flat


def _fit(files: dict[str, Any], schema: Path, tag: str, *extra: str) -> tuple[Ran, bytes]:
    out = files["work"] / f"model-{tag}.synth"
    ran = _synth(
        "fit",
        str(files["train"]),
        "--schema",
        str(schema),
        "--epsilon",
        "1",
        "--engine",
        "mst",
        "--out",
        str(out),
        "--insecure-seed",  # test only: the same draws here and on the cluster
        "5",
        *extra,
    )
    assert ran.code == 0, ran.printed[-2000:]
    return ran, out.read_bytes()


def test_fit_release_and_report_are_identical_on_a_cluster(
    files: dict[str, Any], schema_path: Path, scheduler: str
) -> None:
    """The same draws give the same model, release and report with ``--cluster``."""
    work = files["work"]
    fit_here, model_here = _fit(files, schema_path, "here")
    _, model_there = _fit(files, schema_path, "dask", "--cluster", scheduler)
    assert model_here == model_there
    assert "NOT PRIVATE" in fit_here.flat  # the seeded fit says so

    releases = {}
    for tag, extra in (("here", ()), ("dask", ("--cluster", scheduler))):
        out = work / f"release-{tag}"
        ran = _synth(
            "release",
            str(files["train"]),
            "--schema",
            str(schema_path),
            "--epsilon",
            "1",
            "--engine",
            "mst",
            "--out",
            str(out),
            "--seed",
            "1",
            "--insecure-seed",
            "5",
            *extra,
        )
        assert ran.code in (0, 3), ran.printed[-2000:]
        assert not [v for v in files["needles"] if v in ran.printed]
        release = _stable(out / "release.json")
        release.pop("out_dir")
        releases[tag] = (ran.code, release, (out / "model.synth").read_bytes())
        if (out / "synthetic.csv").exists():
            releases[tag] += ((out / "synthetic.csv").read_bytes(),)
    assert releases["here"] == releases["dask"]
    assert releases["here"][1]["randomness"]["private"] is False

    reports = {}
    for tag, extra in (("here", ()), ("dask", ("--cluster", scheduler))):
        out = work / f"report-{tag}"
        ran = _synth(
            "report",
            "--real",
            str(files["train"]),
            "--holdout",
            str(files["holdout"]),
            "--synthetic",
            str(files["synthetic"]),
            "--model",
            str(work / "model-here.synth"),
            "--out",
            str(out),
            "--insecure-seed",
            "0",
            *extra,
        )
        assert ran.code == 3, ran.printed[-2000:]  # the planted copies block the gate
        report = json.loads((out / "report.json").read_text())
        for key in ("generated_at", "build_seconds", "timings"):
            report["meta"].pop(key, None)
        report["fidelity"]["tstr"].pop("seconds", None)
        reports[tag] = report
    assert reports["here"] == reports["dask"]
