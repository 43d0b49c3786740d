"""Model files are data only: checksummed, no pickle, clear errors when damaged."""

from __future__ import annotations

import io
import json
import zipfile
from pathlib import Path

import numpy as np
import pytest

from synth.artifact import load_artifact, save_artifact
from synth.errors import ArtifactError


def _model(tmp_path: Path) -> Path:
    p = tmp_path / "m.synth"
    save_artifact(p, {"a": 1}, {"w": np.arange(6, dtype=np.float32).reshape(2, 3)})
    return p


def test_round_trip(tmp_path: Path) -> None:
    cfg, arrays = load_artifact(_model(tmp_path))
    assert cfg == {"a": 1} and arrays["w"].shape == (2, 3)


def test_deterministic_bytes(tmp_path: Path) -> None:
    a = _model(tmp_path).read_bytes()
    b = _model(tmp_path).read_bytes()
    assert a == b


def test_truncated(tmp_path: Path) -> None:
    p = _model(tmp_path)
    p.write_bytes(p.read_bytes()[:-40])
    with pytest.raises(ArtifactError, match="truncated|corrupt|checksum"):
        load_artifact(p)


def test_tampered_member(tmp_path: Path) -> None:
    p = _model(tmp_path)
    with zipfile.ZipFile(p) as zf:
        members = {n: zf.read(n) for n in zf.namelist()}
    members["model.json"] = json.dumps({"a": 2}).encode()
    buf = io.BytesIO()
    with zipfile.ZipFile(buf, "w") as zf:
        for n, d in members.items():
            zf.writestr(n, d)
    p.write_bytes(buf.getvalue())
    with pytest.raises(ArtifactError, match="checksum of model.json"):
        load_artifact(p)


def test_pickled_array_is_refused(tmp_path: Path) -> None:
    # a weights member holding an object array (pickle) must not load
    buf = io.BytesIO()
    np.savez(buf, w=np.array([{"x": 1}], dtype=object))
    weights = buf.getvalue()
    import hashlib

    model = b"{}"
    manifest = {
        "format": "steward-synth-model",
        "format_version": 1,
        "members": {
            "model.json": hashlib.sha256(model).hexdigest(),
            "weights.npz": hashlib.sha256(weights).hexdigest(),
        },
    }
    p = tmp_path / "evil.synth"
    with zipfile.ZipFile(p, "w") as zf:
        zf.writestr("manifest.json", json.dumps(manifest))
        zf.writestr("model.json", model)
        zf.writestr("weights.npz", weights)
    with pytest.raises(ArtifactError, match="corrupt"):
        load_artifact(p)


@pytest.mark.parametrize("content", [b"", b"not a zip", b"PK\x03\x04garbage"])
def test_not_a_model(tmp_path: Path, content: bytes) -> None:
    p = tmp_path / "x.synth"
    p.write_bytes(content)
    with pytest.raises(ArtifactError):
        load_artifact(p)


def test_unknown_version(tmp_path: Path) -> None:
    p = _model(tmp_path)
    with zipfile.ZipFile(p) as zf:
        members = {n: zf.read(n) for n in zf.namelist()}
    man = json.loads(members["manifest.json"])
    man["format_version"] = 99
    members["manifest.json"] = json.dumps(man).encode()
    with zipfile.ZipFile(p, "w") as zf:
        for n, d in members.items():
            zf.writestr(n, d)
    with pytest.raises(ArtifactError, match="version 99"):
        load_artifact(p)
