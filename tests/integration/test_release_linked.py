"""``synth release-linked`` (issue 17, item 3): a folder of linked tables through the CLI."""

from __future__ import annotations

import json
from pathlib import Path

import numpy as np
import pandas as pd
from support import CANARY
from typer.testing import CliRunner

from synth.cli import app

runner = CliRunner()


def folder(d: Path, persons: int = 1500, seed: int = 0) -> Path:
    """Persons (sex, birth year) and their visits (0-3 each) and lab results (1-2 per
    visit day), linked by the person's id; the visits also carry their own unique id."""
    rng = np.random.default_rng(seed)
    ids = [f"P{i:05d}" for i in range(persons)]
    sex = rng.choice(["F", "M"], persons)
    people = pd.DataFrame({"Id": ids, "sex": sex, "born": rng.integers(1940, 2000, persons)})
    n = rng.choice([0, 1, 2, 3], persons, p=[0.2, 0.4, 0.25, 0.15])
    owner = np.repeat(np.arange(persons), n)
    visits = pd.DataFrame(
        {
            "Id": [f"V{i:06d}" for i in range(len(owner))],
            "PATIENT": np.asarray(ids)[owner],
            "kind": np.where(sex[owner] == "F", "gyn", "uro"),
        }
    )
    m = rng.choice([1, 2], persons)
    lab_owner = np.repeat(np.arange(persons), m)
    labs = pd.DataFrame(
        {"PATIENT": np.asarray(ids)[lab_owner], "test": rng.choice(["a1c", "ldl"], len(lab_owner))}
    )
    d.mkdir()
    people.to_csv(d / "patients.csv", index=False)
    visits.to_csv(d / "visits.csv", index=False)
    labs.to_csv(d / "labs.csv", index=False)
    return d


def test_a_folder_of_linked_tables_is_released_with_keys_that_join(tmp_path: Path) -> None:
    data = folder(tmp_path / "in")
    out = tmp_path / "out"
    res = runner.invoke(
        app, ["release-linked", str(data), "--epsilon", "4", "--out", str(out), "--seed", "0"]
    )
    assert res.exit_code == 0, res.output
    assert "person of 'patients' (key 'Id')" in res.output
    info = json.loads((out / "release.json").read_text())
    assert info["privacy"]["person_table"] == "patients"
    assert {x["table"] for x in info["links"]} == {"visits", "labs"}
    assert info["epsilon_spent"] <= 4.0 + 1e-6
    people = pd.read_csv(out / "patients.csv")
    for child in ("visits", "labs"):
        rows = pd.read_csv(out / f"{child}.csv")
        assert rows["PATIENT"].isin(people["Id"]).all()
        assert (out / f"leakage-{child}.json").exists()
    joined = pd.read_csv(out / "visits.csv").merge(people, left_on="PATIENT", right_on="Id")
    assert ((joined["kind"] == "gyn") == (joined["sex"] == "F")).mean() > 0.9
    for table in ("patients", "visits", "labs"):
        report = json.loads((out / f"report-{table}" / "report.json").read_text())
        assert report["verdict"]["epsilon"]["spent"] <= 4.0 + 1e-6  # the whole budget's
        assert (out / f"report-{table}" / "report.html").exists()
    links = json.loads((out / "report-links.json").read_text())
    assert links["visits"]["tvd"] <= 0.15  # rows per person, 0 included, within the bound
    ledger = json.loads((out / "ledger.json").read_text())
    assert {c["target"].split(":")[0] for c in ledger["charges"]} == {"patients", "visits", "labs"}


def test_a_table_that_does_not_link_is_refused_without_values(tmp_path: Path) -> None:
    data = folder(tmp_path / "in", persons=300)
    labs = pd.read_csv(data / "labs.csv")
    labs.loc[0, "PATIENT"] = CANARY  # one key without a person: the table no longer links
    labs.to_csv(data / "labs.csv", index=False)
    out = tmp_path / "out"
    res = runner.invoke(app, ["release-linked", str(data), "--epsilon", "1", "--out", str(out)])
    assert res.exit_code == 2, res.output
    assert "'labs'" in res.output and "person table" in res.output
    assert CANARY not in res.output
    assert not out.exists()
