"""End to end: the one-command release on the sample table, with planted canaries.

Canary rows carry identifiers that exist nowhere else (names, SSNs, e-mails, phones,
MRNs, and mentions in free text). No byte of any output may contain one of them, nor
any real SSN, e-mail or phone number of the input.
"""

from __future__ import annotations

import json
import subprocess
from pathlib import Path

import pandas as pd
import pytest
from support import SYNTH

CANARIES = [
    {
        "full_name": "Quillon Vantreybeck",
        "ssn": "078-05-1120",
        "email": "q.vantreybeck@canary-mail.com",
        "phone": "(212) 867-5309",
        "mrn": "99000001",
        "patient_id": "PT9900001",
    },
    {
        "full_name": "Zelphira Oxnardine",
        "ssn": "219-09-9999",
        "email": "zelphira.ox@canary-mail.com",
        "phone": "617-253-1000",
        "mrn": "99000002",
        "patient_id": "PT9900002",
    },
    {
        "full_name": "Barnaby Quetzlcourt",
        "ssn": "457-55-5462",
        "email": "bquetzl@canary-mail.com",
        "phone": "(415) 555-2671",
        "mrn": "99000003",
        "patient_id": "PT9900003",
    },
]


@pytest.fixture(scope="module")
def canary_release(tmp_path_factory: pytest.TempPathFactory, sample_path: Path):
    work = tmp_path_factory.mktemp("release")
    df = pd.read_csv(sample_path, dtype=str, keep_default_na=False)
    rows = []
    for i, c in enumerate(CANARIES):
        row = df.iloc[i].copy()
        for k, v in c.items():
            row[k] = v
        row["clinical_note"] = (
            f"Patient {c['full_name']} (MRN {c['mrn']}, SSN {c['ssn']}) "
            f"called from {c['phone']}; email {c['email']}."
        )
        rows.append(row)
    data = pd.concat([df, pd.DataFrame(rows)], ignore_index=True)
    src = work / "patients_with_canaries.csv"
    data.to_csv(src, index=False)
    out = work / "out"
    proc = subprocess.run(
        [
            SYNTH,
            "release",
            str(src),
            "--epsilon",
            "1",
            "--out",
            str(out),
            "--json",
            str(work / "release-summary.json"),
            # test only: the gate blocks about 1 in 60 genuine ε=1 fits of this table
            # (DCR share, BENCHMARKS.md; issue 18), and this test needs a released table.
            # Fresh-noise releases are tested in test_dp_guarantee.py
            "--insecure-seed",
            "0",
        ],
        capture_output=True,
        text=True,
        timeout=900,
    )
    return {"proc": proc, "out": out, "data": data, "work": work}


def test_release_passes_and_writes_everything(canary_release) -> None:
    proc, out = canary_release["proc"], canary_release["out"]
    assert proc.returncode == 0, proc.stderr[-2000:]
    for name in (
        "schema.yaml",
        "scan.json",
        "model.synth",
        "ledger.json",
        "leakage.json",
        "report.html",
        "report.json",
        "synthetic.csv",
        "release.json",
    ):
        assert (out / name).is_file(), name
    summary = json.loads((out / "release.json").read_text())
    assert summary["passed"] is True
    assert 0 < summary["epsilon_spent"] <= 1.0
    syn = pd.read_csv(out / "synthetic.csv", dtype=str)
    assert len(syn) > 1000
    assert "clinical_note" not in syn.columns  # free text is not synthesised
    assert syn["ssn"].str.match(r"^9\d\d-\d\d-\d{4}$").all()


def test_no_real_identifier_in_any_output(canary_release) -> None:
    data, work = canary_release["data"], canary_release["work"]
    needles = {v for c in CANARIES for v in c.values()}
    needles |= set(data["ssn"]) | set(data["email"]) | set(data["phone"])
    outputs = [p for p in work.rglob("*") if p.is_file() and p.name != "patients_with_canaries.csv"]
    outputs_text = {p: p.read_bytes() for p in outputs}
    streams = (canary_release["proc"].stdout + canary_release["proc"].stderr).encode()
    outputs_text[Path("<stdout+stderr>")] = streams
    # the model is a ZIP (deflated): look inside its members too
    import zipfile

    for p in outputs:
        if zipfile.is_zipfile(p):
            with zipfile.ZipFile(p) as zf:
                for n in zf.namelist():
                    outputs_text[Path(f"{p}!{n}")] = zf.read(n)
    leaks = [
        (str(p), n) for p, blob in outputs_text.items() for n in needles if n and n.encode() in blob
    ]
    assert not leaks, f"{len(leaks)} identifier(s) found in outputs, e.g. in {leaks[0][0]}"


def test_scan_found_the_direct_identifiers(canary_release) -> None:
    scan = json.loads((canary_release["out"] / "scan.json").read_text())
    roles = {c["name"]: c["role"] for c in scan["columns"]}
    for col in (
        "patient_id",
        "mrn",
        "full_name",
        "ssn",
        "phone",
        "email",
        "street_address",
        "date_of_birth",
    ):
        assert roles[col] == "direct_identifier", col
    assert roles["diagnosis_icd10"] == "sensitive"
    assert roles["clinical_note"] == "free_text"


def test_report_and_ledger_agree(canary_release) -> None:
    """One account of the cost: ledger.json's total is the composition of its own charges,
    and the model, release.json and the report all say the same ε, δ and privacy unit."""
    from synth.artifact import load_artifact
    from synth.ledger import PrivacyLedger

    out = canary_release["out"]
    report = json.loads((out / "report.json").read_text())
    ledger = json.loads((out / "ledger.json").read_text())
    release = json.loads((out / "release.json").read_text())
    model, _ = load_artifact(out / "model.synth")
    eps, dlt = PrivacyLedger.from_state_dict(ledger).spent()  # recomposed from the charges
    assert eps == pytest.approx(ledger["spent"]["epsilon"], rel=1e-12)
    assert dlt == pytest.approx(ledger["spent"]["delta"], rel=1e-12)
    assert 0.99 * ledger["budget"]["epsilon"] <= eps <= ledger["budget"]["epsilon"]
    assert model["ledger"] == ledger
    assert (release["epsilon_spent"], release["delta_spent"]) == (eps, dlt)
    v = report["verdict"]
    assert v["epsilon"]["spent"] == pytest.approx(eps, abs=1e-4)
    assert v["delta"]["spent"] == pytest.approx(dlt, rel=1e-3)
    assert v["epsilon"]["budget"] == ledger["budget"]["epsilon"]
    assert v["privacy"] == release["privacy"] == ledger["privacy"]
    shown = {(c["purpose"], c["kind"]) for c in report["ledger"]["charges"]}
    assert shown == {(c["purpose"], c["kind"]) for c in ledger["charges"]}
    assert v["released"] is release["passed"] is True
    html = (out / "report.html").read_text()
    assert "http://" not in html and "https://" not in html


def test_report_json_validates(canary_release) -> None:
    import jsonschema

    schema = json.loads(
        (Path(__file__).resolve().parents[2] / "schemas" / "report.schema.json").read_text()
    )
    jsonschema.validate(json.loads((canary_release["out"] / "report.json").read_text()), schema)


def test_report_renders_in_headless_chromium(canary_release) -> None:
    """Every section renders, every image decodes, nothing fails to load, the privacy unit
    and the provenance hashes are in the first two screens; screenshot kept."""
    import os
    import shutil

    browser = shutil.which("chromium") or shutil.which("chromium-browser")
    if browser is None:
        pytest.skip(
            "no Chromium on this machine (make test installs Debian's chromium where "
            "apt-get is available)"
        )
    from playwright.sync_api import sync_playwright  # a declared test dependency: never skip

    html = canary_release["out"] / "report.html"
    artifacts = Path(os.environ.get("STEWARD_ARTIFACTS", Path.cwd() / "out" / "test-artifacts"))
    artifacts.mkdir(parents=True, exist_ok=True)
    failed: list[str] = []
    errors: list[str] = []
    with sync_playwright() as pw:
        b = pw.chromium.launch(
            executable_path=browser,
            args=[
                "--no-sandbox",
                "--disable-gpu",
                "--disable-background-networking",
                "--disable-component-update",
                "--disable-sync",
                "--no-first-run",
            ],
        )
        page = b.new_page(viewport={"width": 1280, "height": 900})
        page.on("requestfailed", lambda r: failed.append(r.url[:80]))
        page.on("console", lambda m: errors.append(m.text) if m.type == "error" else None)
        page.goto(html.as_uri(), wait_until="load")
        for sid in (
            "verdict",
            "pii_scan",
            "ledger",
            "leakage",
            "fidelity",
            "bias",
            "diversity",
            "limits",
        ):
            assert page.locator(f"section#{sid}").is_visible(), sid
        broken = page.evaluate(
            "Array.from(document.images).filter(i => !i.complete || i.naturalWidth === 0).length"
        )
        n_images = page.evaluate("document.images.length")
        assert page.locator("section#verdict").inner_text().strip().startswith(("✓", "RELEASED"))
        # the privacy unit and the provenance hashes sit in the first two screens (issue 20)
        first: dict[str, tuple[bool, float, str]] = {}
        for key, loc in (
            ("unit", page.locator(".tile", has=page.locator(".k", has_text="privacy unit"))),
            ("provenance", page.locator("#provenance summary")),
        ):
            box = loc.bounding_box()
            first[key] = (loc.is_visible(), box["y"] if box else 1e9, loc.inner_text())
        page.screenshot(path=str(artifacts / "report-first-screen.png"))
        b.close()
    assert n_images >= 3 and broken == 0
    prov = json.loads((canary_release["out"] / "release.json").read_text())["provenance"]
    for key, (visible, top, _) in first.items():
        assert visible and top < 2 * 900 - 40, (key, top)
    assert first["unit"][2].split("\n")[1] in ("person", "row")
    for name in ("model.synth", "synthetic.csv"):
        assert prov["files"][name]["sha256"][:12] in first["provenance"][2], name
    assert not failed, failed
    assert not errors, errors[:3]


def test_provenance_of_the_scanned_release(canary_release) -> None:
    """Without --schema: no schema file to hash, the scan's draft and scan.json are among
    the hashed files, and `synth verify` finds the folder intact (issue 20)."""
    import hashlib

    out = canary_release["out"]
    prov = json.loads((out / "release.json").read_text())["provenance"]
    assert prov["schema_file"] is None
    assert sorted(prov["files"]) == sorted(
        p.name for p in out.iterdir() if p.name != "release.json"
    )
    assert {"scan.json", "schema.yaml", "synthetic.csv", "model.synth"} <= set(prov["files"])
    for name, entry in prov["files"].items():
        assert entry["sha256"] == hashlib.sha256((out / name).read_bytes()).hexdigest(), name
    src = canary_release["work"] / "patients_with_canaries.csv"
    report = json.loads((out / "report.json").read_text())["provenance"]
    assert report["inputs"][0]["sha256"] == hashlib.sha256(src.read_bytes()).hexdigest()
    assert prov["inputs"] == [{"path": str(src)}]  # release.json (shareable): no hash
    proc = subprocess.run(
        [SYNTH, "verify", str(out), "--data", str(src)], capture_output=True, text=True
    )
    assert proc.returncode == 0, proc.stdout + proc.stderr
    assert "intact" in proc.stdout
