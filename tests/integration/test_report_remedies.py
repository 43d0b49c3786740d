"""A blocked release's report says what to do (issue 20): the generator is made to leak
(it returns the training rows), the real gate blocks, and report.json and report.html
carry, for each blocking metric, its plain name, likely causes and remedies, and the
guarantee in one plain sentence; report.json validates against its schema. In headless
Chromium, the remedies, the privacy unit and the provenance hashes sit in the first two
screens."""

from __future__ import annotations

import json
import shutil
from collections.abc import Iterator
from pathlib import Path
from typing import Any

import pandas as pd
import pytest
from support import sample_head
from typer.testing import CliRunner

import synth.releasing as release_module
from synth.cli import app
from synth.synthesizer import Synthesizer

ROWS = 1200
#: the browser window: "the first two screens" are the top 2 × HEIGHT pixels of the page
WIDTH, HEIGHT = 1280, 900


@pytest.fixture(scope="module")
def blocked(
    sample_path: Path, schema_path: Path, tmp_path_factory: pytest.TempPathFactory
) -> Iterator[Path]:
    """The release folder of a release whose generator copies its training rows."""
    tmp = tmp_path_factory.mktemp("remedies")
    table = sample_head(sample_path, ROWS, tmp / "patients.csv")
    seen: dict[str, pd.DataFrame] = {}
    real_split = release_module.split_holdout

    def keep_train(frame: pd.DataFrame, schema: Any, rng: Any) -> Any:
        train, hold = real_split(frame, schema, rng)
        seen["train"] = train
        return train, hold

    def leaky_sample(self: Synthesizer, n: int | None = None, **_: Any) -> pd.DataFrame:
        return seen["train"][self.output_columns].reset_index(drop=True)

    out = tmp / "rel"
    argv = ["release", str(table), "--schema", str(schema_path), "--epsilon", "1"]
    with pytest.MonkeyPatch.context() as mp:
        mp.setattr(release_module, "split_holdout", keep_train)
        mp.setattr(Synthesizer, "sample", leaky_sample)
        res = CliRunner().invoke(app, [*argv, "--out", str(out)])
    assert res.exit_code == 3, res.output
    yield out


def test_blocked_release_report_has_remedies(blocked: Path) -> None:
    import jsonschema

    out = blocked
    report = json.loads((out / "report.json").read_text())
    schema = json.loads(
        (Path(__file__).resolve().parents[2] / "schemas" / "report.schema.json").read_text()
    )
    jsonschema.validate(report, schema)
    v = report["verdict"]
    assert v["blocking_metrics"]
    assert [r["metric"] for r in v["remedies"]] == v["blocking_metrics"]
    for r in v["remedies"]:
        assert r["plain"] and r["causes"] and r["remedies"]
        assert any(x.startswith("Lower ε (now 1)") for x in r["remedies"])
    assert v["guarantee_plain"].startswith("Whether or not any one ")
    html = (out / "report.html").read_text()
    first = html[html.index('id="verdict"') : html.index('id="pii_scan"')]
    assert 'id="remedies"' in first and "What to do" in first
    for r in v["remedies"]:
        assert r["metric"] in first
    assert "What this means for one person" in first
    # the ledger names the engine's columns
    assert report["ledger"]["columns"] and "selected = [[" not in html


def first_two_screens(html: Path, shot: Path | None = None) -> dict[str, Any]:
    """Open ``html`` in headless Chromium (skip without one) and say, for the privacy unit
    tile, the provenance summary and the remedies, whether each is visible and where its
    top sits (in pixels from the top of the page)."""
    browser = shutil.which("chromium") or shutil.which("chromium-browser")
    if browser is None:
        pytest.skip("no Chromium on this machine (make test installs Debian's chromium)")
    from playwright.sync_api import sync_playwright  # a declared test dependency

    found: dict[str, Any] = {}
    with sync_playwright() as pw:
        b = pw.chromium.launch(
            executable_path=browser,
            args=["--no-sandbox", "--disable-gpu", "--disable-background-networking"],
        )
        page = b.new_page(viewport={"width": WIDTH, "height": HEIGHT})
        page.goto(html.as_uri(), wait_until="load")
        targets = {
            "unit": page.locator(".tile", has=page.locator(".k", has_text="privacy unit")),
            "provenance": page.locator("#provenance summary"),
            "remedies": page.locator("#remedies li").first,
        }
        for key, loc in targets.items():
            if loc.count() == 0:
                found[key] = None
                continue
            box = loc.bounding_box()
            found[key] = {
                "visible": loc.is_visible(),
                "top": None if box is None else box["y"],
                "text": loc.inner_text(),
            }
        if shot is not None:
            page.screenshot(
                path=str(shot), clip={"x": 0, "y": 0, "width": WIDTH, "height": 2 * HEIGHT}
            )
        b.close()
    return found


def test_remedies_unit_and_hashes_are_in_the_first_two_screens(
    blocked: Path, tmp_path: Path
) -> None:
    prov = json.loads((blocked / "release.json").read_text())["provenance"]
    got = first_two_screens(blocked / "report.html", tmp_path / "blocked-first-screens.png")
    for key in ("unit", "provenance", "remedies"):
        assert got[key] is not None, key
        assert got[key]["visible"], key
        assert got[key]["top"] is not None and got[key]["top"] < 2 * HEIGHT - 40, (key, got[key])
    assert got["unit"]["text"].split("\n")[1] in ("person", "row")
    assert prov["files"]["model.synth"]["sha256"][:12] in got["provenance"]["text"]
    assert "Likely causes" in got["remedies"]["text"] and "Lower ε" in got["remedies"]["text"]
