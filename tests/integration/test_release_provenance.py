"""Provenance of a release and ``synth verify`` (issue 20), on a small table with a value
planted in the data.

One release (reviewed schema, 400 rows; seeded for the test so that the gate passes and
synthetic.csv is written) is made once; each tamper test works on its own copy of the
folder.
"""

from __future__ import annotations

import hashlib
import json
import shutil
from html import unescape
from pathlib import Path

import numpy as np
import pandas as pd
import pytest
from support import CANARY
from typer.testing import CliRunner

from synth.cli import app

runner = CliRunner()
SCHEMA = """dataset: {}
columns:
  - {name: sex, type: categorical}
  - {name: age, type: numerical}
  - {name: admitted, type: datetime, format: "%Y-%m-%d"}
"""


def _sha(p: Path) -> str:
    return hashlib.sha256(p.read_bytes()).hexdigest()


@pytest.fixture(scope="module")
def release(tmp_path_factory: pytest.TempPathFactory) -> dict:
    work = tmp_path_factory.mktemp("provenance")
    rng = np.random.default_rng(0)
    n = 400
    df = pd.DataFrame(
        {
            "sex": rng.choice(["F", "M"], n).astype(object),
            "age": rng.integers(18, 95, n).astype(str),
            "admitted": (
                pd.Timestamp("2022-01-01") + pd.to_timedelta(rng.integers(0, 700, n), unit="D")
            ).strftime("%Y-%m-%d"),
        }
    )
    df.loc[7, "sex"] = CANARY  # a real value: it must appear in no provenance
    data = work / "data.csv"
    df.to_csv(data, index=False)
    schema = work / "schema.yaml"
    schema.write_text(SCHEMA)
    out = work / "rel"
    argv = ["release", str(data), "--schema", str(schema), "--epsilon", "1", "--out", str(out)]
    # test only: seeded so that the gate passes and synthetic.csv exists to be tampered with
    res = runner.invoke(app, [*argv, "--insecure-seed", "0", "--json", str(work / "sum.json")])
    assert res.exit_code == 0, res.output
    return {"work": work, "out": out, "data": data, "schema": schema, "output": res.output}


def _copy(release: dict, tmp_path: Path) -> Path:
    dst = tmp_path / "rel"
    shutil.copytree(release["out"], dst)
    return dst


def _verify(folder: Path, *extra: str) -> tuple[int, str]:
    res = runner.invoke(app, ["verify", str(folder), *extra])
    return res.exit_code, res.output


def test_release_json_hashes_every_file_it_wrote(release: dict) -> None:
    out = release["out"]
    prov = json.loads((out / "release.json").read_text())["provenance"]
    on_disk = sorted(p.name for p in out.iterdir() if p.name != "release.json")
    assert "synthetic.csv" in on_disk and "model.synth" in on_disk
    assert sorted(prov["files"]) == on_disk
    for name, entry in prov["files"].items():
        assert entry["sha256"] == _sha(out / name), name
        assert set(entry) == {"sha256"}, name  # no size: it could equal a row count
    assert prov["not_hashed"]["files"] == ["release.json"] and prov["not_hashed"]["note"]
    # the shareable release.json names the input; its hash is in the internal report only
    assert prov["inputs"] == [{"path": str(release["data"])}]
    report = json.loads((out / "report.json").read_text())["provenance"]
    assert [i["sha256"] for i in report["inputs"]] == [_sha(release["data"])]
    for shared in (out / "release.json", release["work"] / "sum.json"):
        assert _sha(release["data"]) not in shared.read_text(), shared.name
    assert prov["schema_file"] == {
        "path": str(release["schema"]),
        "sha256": _sha(release["schema"]),
    }
    assert prov["argv"][:3] == ["synth", "release", str(release["data"])]
    assert "--insecure-seed" in prov["argv"] and str(release["schema"]) in prov["argv"]
    assert set(prov["dependencies"]) == {
        "opacus",
        "torch",
        "numpy",
        "pandas",
        "presidio-analyzer",
        "mbi",
    }
    assert prov["dependencies"]["numpy"] == np.__version__
    assert prov["package"] == {"name": "steward-synth", "version": prov["package"]["version"]}
    assert prov["started_at"] <= prov["finished_at"]
    summary = json.loads((release["work"] / "sum.json").read_text())
    assert summary["provenance"] == prov  # --json says the same


def test_report_lists_the_hashes_written_before_it(release: dict) -> None:
    import jsonschema

    out = release["out"]
    report = json.loads((out / "report.json").read_text())
    jsonschema.validate(
        report,
        json.loads(
            (Path(__file__).resolve().parents[2] / "schemas" / "report.schema.json").read_text()
        ),
    )
    rp = report["provenance"]
    prov = json.loads((out / "release.json").read_text())["provenance"]
    assert rp["available"] is True
    assert set(rp["not_hashed"]["files"]) == {"report.html", "report.json", "release.json"}
    assert set(rp["files"]) == set(prov["files"]) - {"report.html", "report.json"}
    for name, entry in rp["files"].items():
        assert entry == prov["files"][name], name
    assert rp["argv"] == prov["argv"] and rp["schema_file"] == prov["schema_file"]
    html = (out / "report.html").read_text()
    verdict = html[
        html.index('id="verdict"') : html.index("</section>", html.index('id="verdict"'))
    ]
    assert 'id="provenance"' in verdict  # on the first screen, in the verdict banner
    assert prov["files"]["model.synth"]["sha256"][:12] in verdict
    assert prov["files"]["synthetic.csv"]["sha256"] in html  # the full hash, in the table
    assert rp["inputs"][0]["sha256"][:12] in verdict  # the input, in the internal report


def test_no_value_of_the_data_in_the_provenance(release: dict) -> None:
    out = release["out"]
    texts = [
        json.dumps(json.loads((out / "release.json").read_text())["provenance"]),
        json.dumps(json.loads((out / "report.json").read_text())["provenance"]),
        (release["work"] / "sum.json").read_text(),
        release["output"],
        _verify(out, "--data", str(release["data"]))[1],
    ]
    assert CANARY in release["data"].read_text()  # planted where a leak could come from
    for t in texts:
        assert CANARY not in t
    # nothing but paths and options on the command line
    prov = json.loads((out / "release.json").read_text())["provenance"]
    values = set(pd.read_csv(release["data"], dtype=str).stack())
    assert not [a for a in prov["argv"] if a in values and not a.replace(".", "").isdigit()]


def test_verify_says_intact_on_a_fresh_release(release: dict, tmp_path: Path) -> None:
    report = tmp_path / "verify.json"
    code, output = _verify(release["out"], "--data", str(release["data"]), "--json", str(report))
    assert code == 0, output
    assert "intact" in output and "NOT" not in output
    prov = json.loads((release["out"] / "release.json").read_text())["provenance"]
    for name in prov["files"]:
        assert any(name in line and "ok" in line for line in output.splitlines()), name
    got = json.loads(report.read_text())
    assert got["intact"] is True and got["data"]["matches"] is True
    assert {f["name"] for f in got["files"]} == set(prov["files"])
    assert {f["status"] for f in got["files"]} == {"ok"}


@pytest.mark.parametrize("name", ["synthetic.csv", "model.synth", "report.json"])
def test_one_flipped_byte_fails_naming_the_file(release: dict, tmp_path: Path, name: str) -> None:
    rel = _copy(release, tmp_path)
    blob = bytearray((rel / name).read_bytes())
    blob[len(blob) // 2] ^= 0x01
    (rel / name).write_bytes(bytes(blob))
    report = tmp_path / "verify.json"
    code, output = _verify(rel, "--json", str(report))
    assert code == 2, output
    error = [line for line in output.splitlines() if line.startswith("error:")]
    assert len(error) == 1 and name in error[0] and "changed" in error[0], output
    got = json.loads(report.read_text())
    assert got["intact"] is False and got["changed"] == [name]
    assert got["missing"] == [] and got["extra"] == []


def test_a_deleted_file_fails_naming_it(release: dict, tmp_path: Path) -> None:
    rel = _copy(release, tmp_path)
    (rel / "ledger.json").unlink()
    code, output = _verify(rel)
    assert code == 2, output
    assert "missing: ledger.json" in output


def test_an_added_file_fails_naming_it(release: dict, tmp_path: Path) -> None:
    rel = _copy(release, tmp_path)
    (rel / "synthetic_v2.csv").write_text("sex,age\nF,40\n")
    code, output = _verify(rel)
    assert code == 2, output
    assert "synthetic_v2.csv" in output and "not in the release" in output


def test_a_different_input_fails_naming_it(release: dict, tmp_path: Path) -> None:
    other = tmp_path / "data.csv"
    text = release["data"].read_text()
    other.write_text(text.replace("\nF,", "\nM,", 1))
    assert other.read_text() != text
    code, output = _verify(release["out"], "--data", str(other))
    assert code == 2, output
    assert "differs from the recorded input" in output and str(other) in output


def test_input_is_checked_only_through_an_intact_report(release: dict, tmp_path: Path) -> None:
    """The input's hash lives in report.json: once report.json is changed, --data cannot
    vouch for the input even when the input itself is the one released."""
    rel = _copy(release, tmp_path)
    report = json.loads((rel / "report.json").read_text())
    report["provenance"]["inputs"][0]["sha256"] = "0" * 64
    (rel / "report.json").write_text(json.dumps(report))
    code, output = _verify(rel, "--data", str(release["data"]))
    assert code == 2, output
    assert "report.json" in output and "missing or changed" in output


def test_a_reviewed_schema_keeps_the_scan_evidence(release: dict) -> None:
    """With --schema the table is still scanned: the PII section shows the scan's findings
    and where the reviewed schema differs from the scan's draft, column by column."""
    out = release["out"]
    report = json.loads((out / "report.json").read_text())
    assert report["verdict"]["schema"] == "reviewed"  # evidence, not a draft release
    pii = report["pii_scan"]
    assert pii["scanned"] is True and pii["nlp_engine"]
    scan = json.loads((out / "scan.json").read_text())
    assert {c["name"] for c in scan["columns"]} == {"sex", "age", "admitted"}
    review = pii["review"]
    assert review["source"] == "run at release time on this table"
    assert review["columns_changed"] + review["columns_unchanged"] == 3
    draft = {c["name"]: c for c in scan["schema"]["columns"]}
    for ch in review["changes"]:  # every change is a real difference from the draft
        assert ch["draft"] != ch["reviewed"]
        if ch["field"] in ("type", "role", "action"):
            assert ch["draft"] == str(draft[ch["column"]].get(ch["field"])).replace("_", " ")
    html = unescape((out / "report.html").read_text())
    assert "no scan result given" not in html
    assert "reviewed schema against the scan's draft" in html
    assert CANARY not in html and CANARY not in json.dumps(report)
