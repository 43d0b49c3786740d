"""Provenance of a release: what went in, what came out, and with which software.

A release records the SHA-256 of its input file(s), of the schema file given, and of
every file it wrote, with the command line, the package versions and its start and end
times (UTC). ``synth verify DIR`` re-computes the hashes (:func:`check_files`) and says
whether the folder is still what was released.

Nothing here reads a value of the data: files are hashed as bytes, and the command line
holds paths and options only. The input's hash is a fingerprint of the real table (anyone
holding a candidate table could confirm it, outside the DP guarantee), so it goes only to
the internal report; the shareable ``release.json`` names the input and lists the report's
hash (:func:`shareable`), through which ``synth verify --data`` checks the input. The
input's size is recorded nowhere (it would tell the number of rows).

>>> import tempfile, pathlib
>>> d = pathlib.Path(tempfile.mkdtemp())
>>> _ = (d / "a.csv").write_bytes(b"abc")
>>> sha256_file(d / "a.csv")
'ba7816bf8f01cfea414140de5dae2223b00361a396177a9cb410ff61f20015ad'
>>> listed = hash_files(d, ["a.csv"])
>>> check_files(d, listed).intact
True
>>> _ = (d / "a.csv").write_bytes(b"abd")
>>> check_files(d, listed).changed
['a.csv']
"""

from __future__ import annotations

import hashlib
from dataclasses import dataclass, field
from datetime import UTC, datetime
from importlib.metadata import PackageNotFoundError, version
from pathlib import Path
from typing import Any

#: distributions whose code computes or constrains the privacy guarantee (noise, clipping,
#: accounting, PII detection, the numbers underneath)
PRIVACY_DEPENDENCIES = ("opacus", "torch", "numpy", "pandas", "presidio-analyzer", "mbi")
NOT_INSTALLED = "not installed"
PACKAGE = "steward-synth"
#: read size of the streaming hash: constant memory for files of any size
CHUNK_BYTES = 1 << 20
#: in release.json: the one file that cannot list its own hash
RELEASE_NOT_HASHED = {
    "files": ["release.json"],
    "note": "release.json holds these hashes and cannot contain its own hash.",
}
#: in release.json, instead of the input's hash
INPUT_NOTE = (
    "The input's SHA-256 is in report.json (internal), not here: a hash of the real table "
    "lets anyone holding a candidate table confirm it, outside the DP guarantee. This file "
    "lists report.json's hash, so `synth verify DIR --data TABLE` checks the input through it."
)
#: in report.json/html: the files written with or after the report
REPORT_NOT_HASHED = {
    "files": ["report.html", "report.json", "release.json"],
    "note": "The report cannot contain its own hash; release.json, written last, lists "
    "the hashes of report.html and report.json.",
}


def sha256_file(path: str | Path, chunk: int = CHUNK_BYTES) -> str:
    """SHA-256 of a file's bytes, read ``chunk`` bytes at a time (files can be GBs)."""
    h = hashlib.sha256()
    with open(path, "rb") as fh:
        while block := fh.read(chunk):
            h.update(block)
    return h.hexdigest()


def utc_now() -> str:
    """The current time, UTC, ISO 8601 to the second (e.g. ``2026-12-05T19:40:00Z``)."""
    return datetime.now(UTC).strftime("%Y-%m-%dT%H:%M:%SZ")


def package_version(name: str) -> str:
    """The installed version of a distribution, or ``"not installed"``.

    >>> package_version("surely-not-a-real-distribution-xyz")
    'not installed'
    """
    try:
        return version(name)
    except PackageNotFoundError:
        return NOT_INSTALLED


def versions(names: tuple[str, ...] = PRIVACY_DEPENDENCIES) -> dict[str, str]:
    """``{distribution: version}`` for each of ``names`` (``"not installed"`` when absent)."""
    return {n: package_version(n) for n in names}


def input_files(path: str | Path) -> list[Path]:
    """The files a table path stands for: itself, or a folder's ``*.parquet`` files (the
    ones :func:`synth.io.tables.read_table` reads), sorted."""
    p = Path(path)
    return sorted(p.glob("*.parquet")) if p.is_dir() else [p]


def hash_input(path: str | Path) -> list[dict[str, Any]]:
    """One ``{path, sha256}`` per file read for the table at ``path`` (no size: it would
    tell the number of rows)."""
    return [{"path": str(f), "sha256": sha256_file(f)} for f in input_files(path)]


def hash_files(folder: str | Path, names: list[str]) -> dict[str, dict[str, Any]]:
    """``{name: {sha256}}`` for files of ``folder``, in the order given. No sizes: a size
    can equal a count of real rows, which no artifact may hold."""
    folder = Path(folder)
    return {n: {"sha256": sha256_file(folder / n)} for n in names}


def record(
    *,
    data_path: str | Path,
    schema_path: str | Path | None,
    argv: list[str] | None,
    started_at: str,
    inputs: list[dict[str, Any]] | None = None,
) -> dict[str, Any]:
    """Provenance before the outputs exist: inputs (hashed unless ``inputs`` is given),
    schema file, command line, versions and start time. :func:`finish` adds the outputs."""
    return {
        "inputs": inputs if inputs is not None else hash_input(data_path),
        "schema_file": None
        if schema_path is None
        else {"path": str(schema_path), "sha256": sha256_file(schema_path)},
        "argv": list(argv) if argv is not None else None,
        "argv_note": "paths and options only, never a value of the data"
        if argv is not None
        else "called from Python (synth.releasing.run_release), not the command line",
        "package": {"name": PACKAGE, "version": package_version(PACKAGE)},
        "dependencies": versions(),
        "started_at": started_at,
        "finished_at": None,
        "files": {},
        "not_hashed": None,
        "hash": "sha256",
    }


def finish(
    prov: dict[str, Any], folder: str | Path, names: list[str], not_hashed: dict[str, Any]
) -> dict[str, Any]:
    """A copy of ``prov`` with the hashes of ``names`` in ``folder`` and the end time (when
    the last of those files had been written)."""
    return {
        **prov,
        "files": hash_files(folder, names),
        "not_hashed": not_hashed,
        "finished_at": utc_now(),
    }


def shareable(prov: dict[str, Any]) -> dict[str, Any]:
    """``prov`` for the shareable release.json: the input named, not hashed.

    >>> p = shareable({"inputs": [{"path": "d.csv", "sha256": "ab"}], "files": {}})
    >>> p["inputs"], "report.json" in p["inputs_note"]
    ([{'path': 'd.csv'}], True)
    """
    return {
        **prov,
        "inputs": [{"path": i["path"]} for i in prov.get("inputs") or []],
        "inputs_note": INPUT_NOTE,
    }


@dataclass
class Check:
    """The result of comparing a folder with the hashes it lists."""

    ok: list[str] = field(default_factory=list)
    changed: list[str] = field(default_factory=list)
    missing: list[str] = field(default_factory=list)
    extra: list[str] = field(default_factory=list)

    @property
    def intact(self) -> bool:
        return not (self.changed or self.missing or self.extra)


def check_files(
    folder: str | Path,
    listed: dict[str, dict[str, Any]],
    ignore: tuple[str, ...] = (),
) -> Check:
    """Re-hash every listed file of ``folder``; files present but not listed (other than
    ``ignore``) are ``extra``.

    >>> import tempfile, pathlib
    >>> d = pathlib.Path(tempfile.mkdtemp())
    >>> _ = (d / "a").write_bytes(b"x")
    >>> listed = hash_files(d, ["a"])
    >>> _ = (d / "b").write_bytes(b"y")
    >>> c = check_files(d, listed)
    >>> (c.intact, c.extra)
    (False, ['b'])
    >>> (d / "a").unlink()
    >>> check_files(d, listed, ignore=("b",)).missing
    ['a']
    """
    folder = Path(folder)
    out = Check()
    for name, entry in listed.items():
        p = folder / name
        if not p.is_file():
            out.missing.append(name)
        elif sha256_file(p) != entry.get("sha256"):
            out.changed.append(name)
        else:
            out.ok.append(name)
    present = sorted(p.name for p in folder.iterdir())
    out.extra = [n for n in present if n not in listed and n not in ignore]
    return out
