"""Model files: data only, checksummed, safe to share and to load.

A model file is a ZIP holding ``manifest.json`` (format, version, SHA-256 of the
other members), ``model.json`` (schema, codecs, ledger, engine config) and
``weights.npz`` (named float arrays). Loading parses JSON and reads arrays with
``allow_pickle=False``: nothing in the file can run code. Sizes are checked from the ZIP
directory before anything is decompressed (a member, or an array inside ``weights.npz``,
larger than the limits below is refused), so a zip bomb costs nothing.

The checksums catch accidents (a truncated copy, a flipped bit), not tampering: whoever
edits ``model.json`` can recompute them. A hostile model is still only data — its
content is validated before anything is allocated from it (see
:meth:`synth.synthesizer.Synthesizer.load`) — but a model's *origin* is vouched for by
where it came from, or by comparing its SHA-256 with one obtained separately.
"""

from __future__ import annotations

import hashlib
import io
import json
import zipfile
import zlib
from pathlib import Path
from typing import Any

import numpy as np

from synth.errors import ArtifactError
from synth.io.atomic import atomic_write_bytes

FORMAT = "steward-synth-model"
FORMAT_VERSION = 1
#: largest model.json / manifest.json accepted (uncompressed)
MAX_JSON_BYTES = 64 * 2**20
#: largest weights.npz accepted, and the most its arrays may hold together (uncompressed)
MAX_WEIGHTS_BYTES = 2 * 2**30
_FIXED_TIME = (2020, 1, 1, 0, 0, 0)  # deterministic ZIP entries


def _member(zf: zipfile.ZipFile, name: str, data: bytes) -> None:
    info = zipfile.ZipInfo(name, date_time=_FIXED_TIME)
    info.compress_type = zipfile.ZIP_DEFLATED
    zf.writestr(info, data)


def save_artifact(path: Path, config: dict[str, Any], arrays: dict[str, np.ndarray]) -> None:
    buf = io.BytesIO()
    np.savez(buf, **{k: np.ascontiguousarray(v) for k, v in sorted(arrays.items())})
    weights = buf.getvalue()
    model = json.dumps(config, sort_keys=True, indent=1, default=_json_default).encode()
    manifest = {
        "format": FORMAT,
        "format_version": FORMAT_VERSION,
        "members": {
            "model.json": hashlib.sha256(model).hexdigest(),
            "weights.npz": hashlib.sha256(weights).hexdigest(),
        },
    }
    out = io.BytesIO()
    with zipfile.ZipFile(out, "w") as zf:
        _member(zf, "manifest.json", json.dumps(manifest, indent=1).encode())
        _member(zf, "model.json", model)
        _member(zf, "weights.npz", weights)
    atomic_write_bytes(Path(path), out.getvalue())


def load_artifact(path: Path) -> tuple[dict[str, Any], dict[str, np.ndarray]]:
    p = Path(path)
    if not p.exists():
        raise ArtifactError(f"{p}: model file not found")
    if not p.is_file():
        raise ArtifactError(f"{p}: model path is not a file")
    try:
        with zipfile.ZipFile(p) as zf:
            names = set(zf.namelist())
            if names != {"manifest.json", "model.json", "weights.npz"}:
                raise ArtifactError(f"{p}: not a steward-synth model (unexpected members)")
            _check_sizes(p, zf, {"manifest.json": MAX_JSON_BYTES, "model.json": MAX_JSON_BYTES})
            _check_sizes(p, zf, {"weights.npz": MAX_WEIGHTS_BYTES})
            manifest = json.loads(zf.read("manifest.json"))
            model = zf.read("model.json")
            weights = zf.read("weights.npz")
    except (zipfile.BadZipFile, EOFError, zipfile.LargeZipFile, OSError, zlib.error):
        raise ArtifactError(f"{p}: not a steward-synth model, or truncated") from None
    except (json.JSONDecodeError, UnicodeDecodeError):
        raise ArtifactError(f"{p}: model manifest is corrupt") from None
    if manifest.get("format") != FORMAT:
        raise ArtifactError(f"{p}: not a steward-synth model file")
    if manifest.get("format_version") != FORMAT_VERSION:
        raise ArtifactError(
            f"{p}: model format version {manifest.get('format_version')} is not supported "
            f"(this build reads version {FORMAT_VERSION})"
        )
    sums = manifest.get("members", {})
    for name, data in (("model.json", model), ("weights.npz", weights)):
        if sums.get(name) != hashlib.sha256(data).hexdigest():
            raise ArtifactError(f"{p}: checksum of {name} does not match; the file was altered")
    try:
        with zipfile.ZipFile(io.BytesIO(weights)) as inner:
            if sum(i.file_size for i in inner.infolist()) > MAX_WEIGHTS_BYTES:
                raise ArtifactError(f"{p}: model arrays are larger than any model this writes")
    except zipfile.BadZipFile:
        raise ArtifactError(f"{p}: model content is corrupt") from None
    try:
        config = json.loads(model)
        with np.load(io.BytesIO(weights), allow_pickle=False) as npz:
            arrays = {k: npz[k] for k in npz.files}
    except (ValueError, json.JSONDecodeError):
        raise ArtifactError(f"{p}: model content is corrupt") from None
    return config, arrays


def _check_sizes(path: Path, zf: zipfile.ZipFile, limits: dict[str, int]) -> None:
    """Refuse members whose declared size exceeds the limit (before decompressing: the
    ZIP reader stops at the declared size, so it bounds what is inflated)."""
    for name, limit in limits.items():
        if zf.getinfo(name).file_size > limit:
            raise ArtifactError(
                f"{path}: {name} is larger than any model this writes ({limit // 2**20} MiB "
                "limit); refused unread"
            )


def _json_default(obj: Any) -> Any:
    if isinstance(obj, np.integer):
        return int(obj)
    if isinstance(obj, np.floating):
        return float(obj)
    if isinstance(obj, np.ndarray):
        return obj.tolist()
    raise TypeError(f"not JSON-serialisable: {type(obj).__name__}")
