"""A table too small for its ε: columns whose DP domain is not found come out empty (not
one made-up value), and the release says which and what to do (issue 16, item 4)."""

from __future__ import annotations

import json
import subprocess
from pathlib import Path

import numpy as np
import pandas as pd
from support import SYNTH


def _release(frame: pd.DataFrame, epsilon: float, tmp_path: Path) -> tuple[str, dict, Path]:
    """``synth release`` of ``frame`` with no schema: its output text (one line), its
    release.json and its output folder (released or blocked: exit 0 or 3)."""
    src, summary, out = tmp_path / "table.csv", tmp_path / "release.json", tmp_path / "out"
    frame.to_csv(src, index=False)
    cmd = [SYNTH, "release", str(src), "--epsilon", str(epsilon), "--out", str(out)]
    proc = subprocess.run(
        [*cmd, "--json", str(summary)], capture_output=True, text=True, timeout=600
    )
    assert proc.returncode in (0, 3), proc.stderr[-2000:]
    return " ".join(proc.stdout.split()), json.loads(summary.read_text()), out


def test_small_table_release_names_the_empty_columns_and_the_remedy(tmp_path) -> None:
    rng = np.random.default_rng(5)
    n = 300
    days = pd.to_timedelta(rng.integers(0, 1460, n), unit="D")
    frame = pd.DataFrame(
        {
            "visit_date": (pd.Timestamp("2020-01-01") + days).strftime("%Y-%m-%d"),
            "charges": np.char.mod("%.2f", rng.lognormal(8, 1, n)),
            "dx_code": rng.choice([f"Z{d:02d}.0" for d in range(30)], n),
            "smoker": rng.choice(["yes", "no"], n),
        }
    )
    text, res, out = _release(frame, 0.5, tmp_path)
    empty = res["empty_columns"]
    assert {"visit_date", "dx_code"} <= set(empty), empty
    assert f"{len(empty)} column(s) come out empty" in text
    assert "Declare their domains in the schema" in text
    report = json.loads((out / "report.json").read_text())
    attention = " ".join(report["verdict"]["attention"])
    assert f"{len(empty)} column(s) come out empty" in attention
    if res["released"]:
        syn = pd.read_csv(out / "synthetic.csv", dtype=str)
        assert syn["visit_date"].isna().all()  # never 1970-01-01
        assert syn["dx_code"].isna().all()


def test_release_names_a_column_whose_rare_values_come_out_blank(tmp_path) -> None:
    """Values too rare for the DP threshold holding ~60 % of a code column: the release
    leaves those rows blank and says so, in the CLI, release.json and the report."""
    rng = np.random.default_rng(7)
    n = 6000
    codes = np.asarray(["alpha", "beta"] + [f"type_{j:02d}" for j in range(60)])
    p = np.r_[np.full(2, 0.2), np.full(60, 0.01)]
    frame = pd.DataFrame({"code": rng.choice(codes, n, p=p), "kind": rng.choice(["x", "y"], n)})
    text, res, out = _release(frame, 1.0, tmp_path)
    shares = res["blank_shares"]
    assert set(shares) == {"code"} and 0.52 <= shares["code"] <= 0.7, shares
    assert "1 column(s) come out partly blank (code" in text
    attention = " ".join(json.loads((out / "report.json").read_text())["verdict"]["attention"])
    assert "1 column(s) come out partly blank (code" in attention
