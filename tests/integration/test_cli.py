"""The CLI: the gate blocks a copying generator and passes honest marginals; the console
script returns the documented exit code (bad inputs: test_bad_inputs.py)."""

from __future__ import annotations

import json
import subprocess
from pathlib import Path

import numpy as np
import pandas as pd
import pytest
from support import SYNTH
from typer.testing import CliRunner

from synth.cli import app

runner = CliRunner()


@pytest.fixture(scope="module")
def split(tmp_path_factory: pytest.TempPathFactory, sample_path: Path) -> dict[str, Path]:
    work = tmp_path_factory.mktemp("split")
    df = pd.read_csv(sample_path, dtype=str, keep_default_na=False)
    rng = np.random.default_rng(0)
    idx = rng.permutation(len(df))
    train, hold = df.iloc[idx[:4000]], df.iloc[idx[4000:]]
    paths = {"train": work / "train.csv", "holdout": work / "holdout.csv"}
    train.to_csv(paths["train"], index=False)
    hold.to_csv(paths["holdout"], index=False)
    copy = train.sample(4000, replace=True, random_state=1)
    paths["copy"] = work / "copy.csv"
    copy.to_csv(paths["copy"], index=False)
    marg = pd.DataFrame(
        {
            c: train[c].sample(4000, replace=True, random_state=i).to_numpy()
            for i, c in enumerate(train.columns)
        }
    )
    paths["marginals"] = work / "marginals.csv"
    marg.to_csv(paths["marginals"], index=False)
    paths["work"] = work
    return paths


def _check(split: dict[str, Path], syn: str, schema_path: Path) -> tuple[int, dict]:
    out = split["work"] / f"{syn}.json"
    res = runner.invoke(
        app,
        [
            "check",
            "--real",
            str(split["train"]),
            "--holdout",
            str(split["holdout"]),
            "--synthetic",
            str(split[syn]),
            "--schema",
            str(schema_path),
            "--json",
            str(out),
        ],
    )
    return res.exit_code, json.loads(out.read_text())


def test_copying_generator_is_blocked(split: dict[str, Path], schema_path: Path) -> None:
    code, payload = _check(split, "copy", schema_path)
    assert code == 3
    assert payload["passed"] is False
    blocked = [m for m in payload["metrics"] if m["verdict"] == "block"]
    assert blocked and all("threshold" in m for m in blocked)
    assert payload["flagged_rows"] and all(isinstance(i, int) for i in payload["flagged_rows"])
    # second view, on quasi-identifiers only: information, visibly alarming for a copy
    by = {m["name"]: m for m in payload["metrics"]}
    assert by["dcr_share_qi"]["verdict"] == "info" and by["dcr_share_qi"]["value"] > 0.95
    uniq = by["qi_unique_reproduced"]
    assert uniq["verdict"] == "info" and uniq["value"] > uniq["baseline"] + 0.3


def test_independent_marginals_copy_no_row_but_their_unique_values_single_out(
    split: dict[str, Path], schema_path: Path
) -> None:
    """Columns resampled from the training rows keep each training value exactly: a value
    only one training person has isolates that person (singling-out, exit 3); the attacks
    that need a whole row find nothing."""
    code, payload = _check(split, "marginals", schema_path)
    verdicts = {m["name"]: m["verdict"] for m in payload["metrics"]}
    assert code == 3 and payload["passed"] is False
    assert verdicts["singling_out_risk"] == "block"
    assert verdicts["inference_risk"] == verdicts["linkability_risk"] == "pass"
    assert verdicts["exact_match_share"] == "pass"
    assert any(m["name"] == "qi_unique_reproduced" for m in payload["metrics"])


def _run(args: list[str]) -> tuple[int, str]:
    res = runner.invoke(app, args)
    return res.exit_code, res.output


def test_console_script_exit_code(tmp_path: Path) -> None:
    proc = subprocess.run(
        [SYNTH, "scan", str(tmp_path / "missing.csv")], capture_output=True, text=True, timeout=300
    )
    assert proc.returncode == 2
    assert "missing.csv" in proc.stderr and "Traceback" not in proc.stderr


def test_report_of_copying_generator_shows_the_block(
    split: dict[str, Path], schema_path: Path
) -> None:
    out = split["work"] / "report-copy"
    res = runner.invoke(
        app,
        [
            "report",
            "--real",
            str(split["train"]),
            "--holdout",
            str(split["holdout"]),
            "--synthetic",
            str(split["copy"]),
            "--schema",
            str(schema_path),
            "--out",
            str(out),
        ],
    )
    assert res.exit_code == 3
    report = json.loads((out / "report.json").read_text())
    assert report["verdict"]["released"] is False
    assert report["verdict"]["blocking_metrics"]
    html = (out / "report.html").read_text()
    assert "BLOCKED" in html
    train = pd.read_csv(split["train"], dtype=str)
    for v in train["ssn"].head(200):
        assert v not in html


def test_report_without_schema_is_bad_input(split: dict[str, Path]) -> None:
    res = runner.invoke(
        app,
        [
            "report",
            "--real",
            str(split["train"]),
            "--holdout",
            str(split["holdout"]),
            "--synthetic",
            str(split["copy"]),
            "--out",
            str(split["work"] / "r"),
        ],
    )
    assert res.exit_code == 2 and "--schema or --model" in res.output


def test_a_copy_with_renamed_columns_cannot_pass(split: dict[str, Path], schema_path: Path) -> None:
    """A bootstrap copy whose columns were renamed: exit 2 naming them, not exit 0; mapped
    back with --rename it is blocked (exit 3)."""
    copy = pd.read_csv(split["copy"], dtype=str, keep_default_na=False)
    renamed = copy.rename(columns={"age": "age_years", "zip": "zip_code"})
    path = split["work"] / "renamed.csv"
    renamed.to_csv(path, index=False)
    base = ["check", "--real", str(split["train"]), "--holdout", str(split["holdout"])]
    base += ["--synthetic", str(path), "--schema", str(schema_path)]
    res = runner.invoke(app, base)
    flat = " ".join(res.output.split())
    assert res.exit_code == 2, res.output
    assert "'age'" in flat and "'age_years'" in flat and "renamed?" in flat
    res = runner.invoke(app, [*base, "--rename", "age_years=age", "--rename", "zip_code=zip"])
    assert res.exit_code == 3, res.output


def test_version_prints_the_installed_package_version() -> None:
    from importlib.metadata import version

    done = subprocess.run([SYNTH, "--version"], capture_output=True, text=True, timeout=60)
    assert done.returncode == 0, done.stderr
    assert done.stdout.strip() == f"steward-synth {version('steward-synth')}"


def test_help_lists_every_documented_exit_code() -> None:
    """``synth --help`` lists the exit codes of synth.errors, each with its meaning."""
    import re

    from synth import errors

    res = runner.invoke(app, ["--help"], env={"COLUMNS": "200"})
    assert res.exit_code == 0, res.output
    text = res.output.split("Exit codes:", 1)[1]
    listed = set(re.findall(r"^\s*(\d+) \w", text, flags=re.MULTILINE))
    documented = set(re.findall(r"^(\d+)\s{2,}\w", errors.__doc__ or "", flags=re.MULTILINE))
    assert documented == {"0", "1", "2", "3", "4", "5", "130", "143"}
    assert listed == documented
    for line in ("4 privacy budget impossible", "5 output cannot be written", "too few rows"):
        assert line in text
