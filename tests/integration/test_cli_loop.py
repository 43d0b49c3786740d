"""The steward's loop on the command line (issue 20): ``sample --where/--rebalance``,
``drift``, input errors before heavy imports, help without ``<bool>``."""

from __future__ import annotations

import json
import subprocess
import sys
from pathlib import Path

import pandas as pd
import pytest
from support import PEOPLE_TYPES, make_people
from typer.testing import CliRunner

from synth.cli import app

runner = CliRunner()


@pytest.fixture(scope="module")
def fitted(tmp_path_factory: pytest.TempPathFactory) -> Path:
    d = tmp_path_factory.mktemp("loop")
    make_people(3000, 0).to_csv(d / "data.csv", index=False)
    cols = "\n".join(f"  - {{name: {n}, type: {t}}}" for n, t in PEOPLE_TYPES.items())
    (d / "schema.yaml").write_text(f"dataset: {{}}\ncolumns:\n{cols}\n")
    argv = ["fit", str(d / "data.csv"), "--schema", str(d / "schema.yaml"), "--epsilon", "5"]
    res = runner.invoke(app, [*argv, "--out", str(d / "m.synth"), "--insecure-seed", "2"])
    assert res.exit_code == 0, res.output
    return d


def test_sample_where_writes_only_matching_rows_and_says_so(fitted: Path) -> None:
    out, js = fitted / "f.csv", fitted / "f.json"
    res = runner.invoke(
        app,
        [
            *("sample", str(fitted / "m.synth"), "--rows", "400", "--out", str(out)),
            *("--where", "sex=F,age>=60", "--where", "plan=gold|plus", "--json", str(js)),
        ],
    )
    assert res.exit_code == 0, res.output
    df = pd.read_csv(out)
    assert len(df) == 400 and (df["sex"] == "F").all() and (df["age"] >= 60).all()
    assert df["plan"].isin(["gold", "plus"]).all()
    doc = json.loads(js.read_text())["conditional"]
    assert doc["conditions"] == ["sex=F", "age>=60", "plan=gold|plus"]
    assert 0 < doc["model_share_of_conditions"] < 0.2
    assert {c["column"] for c in doc["columns"]} == set(PEOPLE_TYPES)
    assert "no ε" in doc["privacy"]


def test_sample_rebalance_hits_the_shares(fitted: Path) -> None:
    out, js = fitted / "r.csv", fitted / "r.json"
    res = runner.invoke(
        app,
        [
            *("sample", str(fitted / "m.synth"), "--rows", "1000", "--out", str(out)),
            *("--rebalance", "plan=none:0.4,gold:5%", "--json", str(js)),
        ],
    )
    assert res.exit_code == 0, res.output
    shares = pd.read_csv(out)["plan"].value_counts(normalize=True)
    assert abs(shares["none"] - 0.4) <= 0.01 and abs(shares["gold"] - 0.05) <= 0.01
    assert json.loads(js.read_text())["conditional"]["rebalance"]["column"] == "plan"


def test_drift_verdicts(fitted: Path) -> None:
    same, older = fitted / "same.csv", fitted / "older.csv"
    make_people(2000, 1).to_csv(same, index=False)
    shifted = make_people(2000, 1)
    shifted["age"] += 10
    shifted.to_csv(older, index=False)
    js = fitted / "d.json"
    m = str(fitted / "m.synth")
    res = runner.invoke(app, ["drift", m, str(same), "--json", str(js)])
    assert res.exit_code == 0, res.output
    assert "verdict: no drift" in res.output
    assert json.loads(js.read_text())["refit_recommended"] is False
    res = runner.invoke(app, ["drift", m, str(older), "--json", str(js)])
    assert res.exit_code == 0, res.output
    assert "refit recommended" in res.output and "column age" in res.output
    doc = json.loads(js.read_text())
    assert doc["drifted_columns"] == ["age"] and "no value" in doc["released"]
    assert "2000" not in res.output and "2,000" not in res.output


HEAVY = ("torch", "opacus", "presidio_analyzer", "sdv", "sklearn", "pandas", "numpy", "faker")
PROBE = """
import atexit, sys
heavy = {heavy!r}
atexit.register(lambda: print("LOADED=" + ",".join(m for m in heavy if m in sys.modules),
                              file=sys.stderr))
sys.argv = ["synth", *sys.argv[1:]]
from synth.cli import main
main()
"""


@pytest.mark.parametrize(
    "argv",
    [
        ["scan", "nope.csv"],
        ["fit", "nope.csv", "--schema", "nope.yaml", "--epsilon", "1", "--out", "m.synth"],
        ["sample", "nope.synth", "--out", "s.csv"],
        ["release", "nope.csv", "--epsilon", "1", "--out", "rel"],
        ["check", "--real", "nope.csv", "--holdout", "h.csv", "--synthetic", "s.csv"],
        ["report", "--real", "nope.csv", "--holdout", "h.csv", "--synthetic", "s", "--out", "o"],
        ["strip", "nope.csv", "--schema", "nope.yaml", "--out", "o.csv"],
        ["drift", "nope.synth", "nope.csv"],
    ],
    ids=lambda a: a[0],
)
def test_a_missing_input_is_answered_before_heavy_imports(tmp_path: Path, argv: list[str]) -> None:
    """The order, not a wall-clock budget: the error comes before torch, presidio, pandas
    or numpy is imported."""
    proc = subprocess.run(
        [sys.executable, "-c", PROBE.format(heavy=HEAVY), *argv],
        capture_output=True,
        text=True,
        cwd=tmp_path,
        timeout=120,
    )
    assert proc.returncode == 2, proc.stderr
    assert "not found" in proc.stderr
    loaded = proc.stderr.split("LOADED=")[-1].strip()
    assert loaded == "", f"imported before the error: {loaded}"
    assert list(tmp_path.iterdir()) == []


def test_help_shows_flags_without_a_value_and_describes_release_options() -> None:
    for argv in (["--help"], ["release", "--help"], ["check", "--help"], ["sample", "--help"]):
        res = runner.invoke(app, argv, env={"COLUMNS": "200"})
        assert res.exit_code == 0
        assert "<bool>" not in res.output, argv
    res = runner.invoke(app, ["release", "--help"], env={"COLUMNS": "200"})
    lines = {ln.split()[1]: ln for ln in res.output.splitlines() if ln.strip("│ ").startswith("--")}
    for opt in ("--engine", "--delta", "--seed", "--overwrite", "--rows"):
        words = lines[opt].strip("│ ").split(None, 2)
        assert len(words) == 3 and len(words[2]) > 10, (opt, lines[opt])


def test_every_option_of_every_command_is_described() -> None:
    """No visible option or argument of any command without a help text (issue 20)."""
    import typer.main

    group = typer.main.get_command(app)
    for name, command in group.commands.items():  # type: ignore[attr-defined]
        for p in command.params:
            if getattr(p, "hidden", False):
                continue
            text = getattr(p, "help", None) or ""
            assert len(text) > 10, (name, p.name)


def test_report_with_a_model_labels_bins_by_edges_and_names_only_paid_categories(
    fitted: Path,
) -> None:
    """``synth report --model``: numeric bins carry the model's DP edges (not ranks), and
    category names come from the model's DP selection; with ``--schema`` alone the bins are
    ranks and undeclared category names are masked (issue 20)."""
    d = fitted
    make_people(1000, 1).to_csv(d / "hold.csv", index=False)
    res = runner.invoke(
        app, ["sample", str(d / "m.synth"), "--rows", "1500", "--out", str(d / "syn.csv")]
    )
    assert res.exit_code == 0, res.output
    tables = ["--real", str(d / "data.csv"), "--holdout", str(d / "hold.csv")]
    tables += ["--synthetic", str(d / "syn.csv"), "--insecure-seed", "3"]
    rows = {}
    for how, extra in (
        ("model", ["--model", str(d / "m.synth")]),
        ("schema", ["--schema", str(d / "schema.yaml")]),
    ):
        res = runner.invoke(app, ["report", *tables, *extra, "--out", str(d / f"rep-{how}")])
        assert res.exit_code in (0, 3), res.output
        report = json.loads((d / f"rep-{how}" / "report.json").read_text())
        rows[how] = {r["column"]: r for r in report["fidelity"]["columns"]}
    for name in ("age", "income", "bmi", "visit"):
        assert rows["model"][name]["bin_edges"] == "model (DP)", name
        assert rows["schema"][name]["bin_edges"] == "quantile ranks", name
    assert rows["model"]["region"]["category_names_shown"] >= 10  # 12 regions, DP-selected
    assert rows["schema"]["region"]["category_names_shown"] == 0  # undeclared: masked
    import re

    alone = re.compile(r"(?<![A-Za-z0-9+/])R07(?![A-Za-z0-9+/=])")  # not inside base64 figures
    for name in ("report.html", "report.json"):
        assert not alone.search((d / "rep-schema" / name).read_text()), name


@pytest.mark.parametrize(
    ("typed", "rows"), [("500", 500), ("1e3", 1000), ("1_000", 1000), ("2E2", 200)]
)
def test_rows_may_be_typed_in_scientific_notation(fitted: Path, typed: str, rows: int) -> None:
    out = fitted / f"rows-{rows}.csv"
    res = runner.invoke(
        app, ["sample", str(fitted / "m.synth"), "--rows", typed, "--out", str(out), "--overwrite"]
    )
    assert res.exit_code == 0, res.output
    assert len(pd.read_csv(out)) == rows
