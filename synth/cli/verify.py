"""``synth verify``: is a release folder still what was released?

Re-computes the SHA-256 of every file listed in ``DIR/release.json``'s provenance, and
finds files the release did not write. Exit 0 when intact; 2 (bad input) when a file
changed, is missing or was added, or when the folder holds no release.json with
provenance. ``--data TABLE`` also compares the table's hash with the one recorded in
report.json (internal: release.json, shareable, does not hold the input's hash; it holds
report.json's, so the recorded input hash is trusted only when report.json is intact).
"""

from __future__ import annotations

import json
from pathlib import Path
from typing import Annotated, Any

import typer

from synth.cli.common import JsonOpt, out, run, write_json

RELEASE_JSON = "release.json"
REPORT_JSON = "report.json"


def _recorded_input(folder: Path, intact: list[str]) -> tuple[list[str] | None, str]:
    """The input hashes report.json recorded, or None and why they cannot be trusted."""
    if REPORT_JSON not in intact:
        return None, f"{REPORT_JSON}, which records the input's hash, is missing or changed"
    try:
        prov = json.loads((folder / REPORT_JSON).read_text(encoding="utf-8"))["provenance"]
        hashes = [str(i["sha256"]) for i in prov["inputs"]]
    except (ValueError, KeyError, TypeError):
        hashes = []
    if not hashes:
        return None, f"{REPORT_JSON} records no input hash"
    return hashes, ""


def _listed(folder: Path) -> dict[str, Any]:
    """The provenance of ``folder``'s release.json, or a clear InputError."""
    from synth.errors import InputError

    if not folder.exists():
        raise InputError(f"{folder}: release folder not found")
    if not folder.is_dir():
        raise InputError(f"{folder}: not a folder (give the release folder)")
    path = folder / RELEASE_JSON
    if not path.is_file():
        raise InputError(f"{folder}: no {RELEASE_JSON}, so nothing to verify against")
    try:
        doc = json.loads(path.read_text(encoding="utf-8"))
    except (UnicodeDecodeError, json.JSONDecodeError):
        raise InputError(f"{path}: not valid JSON") from None
    prov = doc.get("provenance") if isinstance(doc, dict) else None
    files = prov.get("files") if isinstance(prov, dict) else None
    if not isinstance(files, dict) or not files:
        raise InputError(
            f"{path}: holds no provenance hashes (a release made before provenance was "
            "recorded, or an edited file); nothing to verify against"
        )
    bad = [
        n
        for n, entry in files.items()
        if Path(n).name != n or n in (".", "..") or not isinstance(entry, dict)
    ]
    if bad:
        raise InputError(f"{path}: provenance lists malformed file entries: {', '.join(bad)}")
    return prov


def verify(
    folder: Annotated[Path, typer.Argument(help="Release folder (holds release.json).")],
    data: Annotated[
        Path | None,
        typer.Option("--data", help="Also check that this input table is the one released."),
    ] = None,
    json_out: JsonOpt = None,
) -> None:
    """Re-compute the SHA-256 of every file release.json lists. Exit 0 when the folder is
    intact; 2 when a file changed, is missing or was added, or there is nothing to verify."""

    def body() -> int:
        from synth.errors import InputError
        from synth.provenance import check_files, hash_input

        prov = _listed(folder)
        if data is not None and not data.exists():
            raise InputError(f"{data}: input table not found")
        files = prov["files"]
        check = check_files(folder, files, ignore=(RELEASE_JSON,))
        status = {n: "ok" for n in check.ok}
        status |= {n: "changed" for n in check.changed}
        status |= {n: "missing" for n in check.missing}
        out.print(f"{folder}: {len(files)} file(s) listed in {RELEASE_JSON}", highlight=False)
        for name in files:
            word = status[name]
            mark = {
                "ok": "[green]ok[/green]     ",
                "changed": "[red]CHANGED[/red]",
                "missing": "[red]MISSING[/red]",
            }[word]
            out.print(
                f"  {mark}  {name}  sha256 {str(files[name].get('sha256'))[:16]}…", highlight=False
            )
        for name in check.extra:
            out.print(
                f"  [red]EXTRA[/red]    {name} (not listed in {RELEASE_JSON})", highlight=False
            )

        data_result: dict[str, Any] | None = None
        if data is not None:
            recorded, why = _recorded_input(folder, check.ok)
            found = sorted(f["sha256"] for f in hash_input(data))
            same = recorded is not None and found == sorted(recorded)
            if recorded is not None and not same:
                why = f"input {data} differs from the recorded input"
            data_result = {"path": str(data), "matches": same, "why": why or None}
            word = "[green]ok[/green]     " if same else "[red]CHANGED[/red]"
            out.print(
                f"  {word}  input {data} (against the hash recorded in {REPORT_JSON})",
                highlight=False,
            )

        intact = check.intact and (data_result is None or data_result["matches"])
        write_json(
            json_out,
            {
                "folder": str(folder),
                "intact": intact,
                "files": [
                    {"name": n, "status": status[n], "sha256": files[n].get("sha256")}
                    for n in files
                ],
                "changed": check.changed,
                "missing": check.missing,
                "extra": check.extra,
                "data": data_result,
            },
        )
        if not intact:
            parts = []
            if check.changed:
                parts.append(f"changed: {', '.join(check.changed)}")
            if check.missing:
                parts.append(f"missing: {', '.join(check.missing)}")
            if check.extra:
                parts.append(f"not in the release: {', '.join(check.extra)}")
            if data_result is not None and not data_result["matches"]:
                parts.append(str(data_result["why"]))
            raise InputError(f"{folder}: NOT intact ({'; '.join(parts)})")
        out.print(
            f"[green]intact[/green]: every listed file matches its SHA-256"
            f"{' and the input matches' if data is not None else ''}; no unlisted file",
            highlight=False,
        )
        return 0

    run(body)
