"""``synth release-linked`` (issue 17, item 3): a folder of linked tables through the CLI."""

from __future__ import annotations

import json
from pathlib import Path

import numpy as np
import pandas as pd
import pytest
from support import CANARY
from typer.testing import CliRunner

from synth.cli import app
from synth.provenance import sha256_file

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
    visits = links["tables"]["visits"]
    assert visits["tvd"] <= 0.15  # rows per person, 0 included, within the bound
    assert links["privacy"]["unit"] == "person" and links["privacy"]["unit_column"] == "Id"
    parts = links["budget_parts"]
    assert {"patients", "visits", "labs"} <= set(parts)
    assert sum(p["rho_share"] for p in parts.values()) == pytest.approx(1.0)
    # which values go together in one person: each person's kind, real against synthetic
    assert visits["presence"]["error_max"] <= 0.1
    marg = {m["person_column"]: m for m in visits["person_child_marginals"]}
    assert marg["sex"]["tvd"] <= 0.15  # gyn with women, uro with men, across the link
    assert info["budget_parts"] == parts and "visits" in info["presence"]
    ledger = json.loads((out / "ledger.json").read_text())
    assert {c["target"].split(":")[0] for c in ledger["charges"]} == {"patients", "visits", "labs"}
    html = (out / "report-links.html").read_text()
    assert "Which values go together in one person" in html and "<script" not in html
    # provenance: every file written hashed in release.json; input hashes only internally
    prov = info["provenance"]
    assert set(prov["files"]) == set(info["files"]) - {"release.json"}
    for name in ("patients.csv", "report-links.json", "report-links.html"):
        assert prov["files"][name]["sha256"] == sha256_file(out / name)
    assert all("sha256" not in i for i in prov["inputs"])
    assert {i["sha256"] for i in links["provenance"]["inputs"]} == {
        sha256_file(data / f"{t}.csv") for t in ("patients", "visits", "labs")
    }
    assert prov["argv"][:2] == ["synth", "release-linked"]


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


def test_a_broken_link_page_scores_badly(tmp_path: Path) -> None:
    """The link figures can fail: synthetic visits with their persons shuffled lose the
    person × child marginal, and the page flags it; visits crowded onto a few persons move
    children-per-person and the share of persons holding each kind."""
    from privacy import scan
    from synth.linked import LinkedSynthesizer
    from synth.linked_release import linked_schemas
    from synth.linked_report import links_report, render_links

    d = folder(tmp_path / "in", persons=1500)
    tables = {t: pd.read_csv(d / f"{t}.csv") for t in ("patients", "visits", "labs")}
    drafts = {t: scan(df, name=t).schema for t, df in tables.items()}
    schemas, *_ = linked_schemas(tables, drafts)
    model = LinkedSynthesizer(schemas, epsilon=4.0).fit(tables)
    syn = model.sample(seed=0)
    good = links_report(model, tables, syn)["tables"]["visits"]
    rng = np.random.default_rng(0)
    keys = syn["patients"]["Id"].to_numpy()
    broken = {**syn, "visits": syn["visits"].assign(PATIENT=rng.choice(keys, len(syn["visits"])))}
    bad = links_report(model, tables, broken)
    sex = {m["person_column"]: m["tvd"] for m in bad["tables"]["visits"]["person_child_marginals"]}
    good_sex = {m["person_column"]: m["tvd"] for m in good["person_child_marginals"]}
    assert sex["sex"] > good_sex["sex"] + 0.2
    crowded = {
        **syn,
        "visits": syn["visits"].assign(PATIENT=rng.choice(keys[:100], len(syn["visits"]))),
    }
    crowd = links_report(model, tables, crowded)["tables"]["visits"]
    assert crowd["tvd"] > good["tvd"] + 0.3
    assert crowd["presence"]["error_max"] > good["presence"]["error_max"] + 0.2
    html = render_links(bad)
    assert 'class="hl"' in html


def test_a_grandchild_keeps_its_link_and_the_joined_person_view_is_gated(tmp_path: Path) -> None:
    """patients → visits → results: the results name their visit and their patient; the
    release finds both links from the values, keeps them, and gates one row per person."""
    data = folder(tmp_path / "in", persons=1200)
    visits = pd.read_csv(data / "visits.csv")
    rng = np.random.default_rng(1)
    per = np.where(visits["kind"] == "gyn", 1, rng.choice([0, 2], len(visits)))
    rows = np.repeat(np.arange(len(visits)), per)
    results = pd.DataFrame(
        {
            "VISIT": visits["Id"].to_numpy()[rows],
            "PATIENT": visits["PATIENT"].to_numpy()[rows],
            "value": np.where(visits["kind"].to_numpy()[rows] == "gyn", "pap", "psa"),
        }
    )
    (data / "labs.csv").unlink()
    results.to_csv(data / "results.csv", index=False)
    out = tmp_path / "out"
    res = runner.invoke(
        app, ["release-linked", str(data), "--epsilon", "4", "--out", str(out), "--seed", "0"]
    )
    assert res.exit_code == 0, res.output
    info = json.loads((out / "release.json").read_text())
    links = {x["table"]: x for x in info["links"]}
    assert links["results"]["key"] == "visits.Id" and links["results"]["column"] == "VISIT"
    assert links["results"]["person_column"] == "PATIENT"
    assert links["visits"]["key"] == "patients.Id" and info["dropped"] == []
    assert "joined persons" not in info["blocked_by"]
    gate = json.loads((out / "leakage-joined-persons.json").read_text())
    assert "metrics" in gate
    people = pd.read_csv(out / "patients.csv")
    v = pd.read_csv(out / "visits.csv")
    r = pd.read_csv(out / "results.csv")
    assert v["PATIENT"].isin(people["Id"]).all() and r["VISIT"].isin(v["Id"]).all()
    j = r.merge(v, left_on="VISIT", right_on="Id", suffixes=("", "_v"))
    assert (j["PATIENT"] == j["PATIENT_v"]).all()
    assert ((j["value"] == "pap") == (j["kind"] == "gyn")).mean() > 0.8
    report = json.loads((out / "report-links.json").read_text())
    assert report["tables"]["results"]["children_per_parent"]["parent"] == "visits"
    assert report["privacy"]["bounds"]["results"]["person_found_by"] == (
        "results → visits → patients"
    )
    assert "Rows per visits row" in (out / "report-links.html").read_text()


def test_a_child_without_its_key_column_is_refused_by_name(tmp_path: Path) -> None:
    data = folder(tmp_path / "in", persons=300)
    labs = pd.read_csv(data / "labs.csv").drop(columns="PATIENT")
    labs.to_csv(data / "labs.csv", index=False)
    out = tmp_path / "out"
    res = runner.invoke(app, ["release-linked", str(data), "--epsilon", "1", "--out", str(out)])
    assert res.exit_code == 2, res.output
    assert "'labs'" in res.output and "person table" in res.output
    assert not out.exists()


def test_a_linked_table_too_small_for_its_domains_names_its_empty_columns(tmp_path: Path) -> None:
    """As ``synth release`` does (issue 16, item 4): a linked table's column whose DP domain
    is not found comes out blank, and the release names it, by table, and what to do."""
    rng = np.random.default_rng(3)
    d = tmp_path / "in"
    d.mkdir()
    # enough rows that the DP row estimate always clears the engine's minimum (200 persons
    # at ε = 0.5 sometimes did not); dates spread over two centuries and 500 codes of ~3 rows
    # each, so neither domain clears the noise
    ids = [f"P{i:04d}" for i in range(1000)]
    pd.DataFrame({"Id": ids, "sex": rng.choice(["F", "M"], len(ids))}).to_csv(
        d / "patients.csv", index=False
    )
    owner = np.repeat(np.arange(len(ids)), rng.integers(1, 3, len(ids)))
    days = pd.to_timedelta(rng.integers(0, 73_000, len(owner)), unit="D")
    pd.DataFrame(
        {
            "PATIENT": np.asarray(ids)[owner],
            "visit_date": (pd.Timestamp("1900-01-01") + days).strftime("%Y-%m-%d"),
            "dx_code": rng.choice([f"Z{k:03d}.0" for k in range(500)], len(owner)),
        }
    ).to_csv(d / "visits.csv", index=False)
    summary = tmp_path / "release.json"
    args = ["release-linked", str(d), "--epsilon", "0.5", "--out", str(tmp_path / "out")]
    res = runner.invoke(app, [*args, "--json", str(summary)])
    assert res.exit_code in (0, 3), res.output
    empty = json.loads(summary.read_text())["empty_columns"]
    assert {"visit_date", "dx_code"} <= set(empty.get("visits", [])), empty
    text = " ".join(res.output.split())
    assert f"visits: utility: {len(empty['visits'])} column(s) come out empty" in text
    assert "Declare their domains in the schema" in text
