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
    p = _write(tmp_path / "evil.synth", b"{}", buf.getvalue())
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


def _write(path: Path, model: bytes, weights: bytes) -> Path:
    """A model file with checksums recomputed over the given (possibly hostile) members,
    as anyone who edits one can do: the checksums only catch accidents."""
    import hashlib

    manifest = {
        "format": "steward-synth-model",
        "format_version": 1,
        "members": {
            "model.json": hashlib.sha256(model).hexdigest(),
            "weights.npz": hashlib.sha256(weights).hexdigest(),
        },
    }
    with zipfile.ZipFile(path, "w", compression=zipfile.ZIP_DEFLATED) as zf:
        zf.writestr("manifest.json", json.dumps(manifest))
        zf.writestr("model.json", model)
        zf.writestr("weights.npz", weights)
    return path


def test_zip_bomb_member_is_refused_unread(tmp_path: Path, monkeypatch: pytest.MonkeyPatch) -> None:
    from synth import artifact

    monkeypatch.setattr(artifact, "MAX_JSON_BYTES", 1 << 20)  # a 64 MiB bomb costs 64 MiB
    bomb = b" " * (4 << 20)  # 4 MiB of spaces deflate to a few KiB
    p = _write(tmp_path / "bomb.synth", bomb, b"")
    assert p.stat().st_size < 64 << 10
    with pytest.raises(ArtifactError, match="model.json is larger"):
        load_artifact(p)


def test_oversized_array_inside_the_weights_is_refused(
    tmp_path: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    from synth import artifact

    monkeypatch.setattr(artifact, "MAX_WEIGHTS_BYTES", 1 << 20)
    buf = io.BytesIO()
    with zipfile.ZipFile(buf, "w", compression=zipfile.ZIP_DEFLATED) as npz:
        arr = io.BytesIO()
        np.save(arr, np.zeros(1 << 19))  # 4 MiB of zeros, deflated to a few KiB
        npz.writestr("w.npy", arr.getvalue())
    p = _write(tmp_path / "inner.synth", b"{}", buf.getvalue())
    with pytest.raises(ArtifactError, match="arrays are larger"):
        load_artifact(p)


def test_hostile_model_json_with_recomputed_checksum(tmp_path: Path) -> None:
    """A real model edited to claim sizes no fit produces: refused as inconsistent before
    anything is allocated from it, never an internal error, never code run."""
    import pandas as pd

    from synth import Synthesizer
    from synth.schema import parse_schema

    rng = np.random.default_rng(0)
    df = pd.DataFrame({"a": rng.choice(["x", "y"], 300), "b": rng.integers(0, 50, 300)})
    schema = parse_schema(
        {"columns": [{"name": "a", "type": "categorical"}, {"name": "b", "type": "numerical"}]}
    )
    Synthesizer(schema, epsilon=5.0, engine="mst").fit(df).save(tmp_path / "m.synth")
    with zipfile.ZipFile(tmp_path / "m.synth") as zf:
        config, weights = json.loads(zf.read("model.json")), zf.read("weights.npz")
    edits = {
        "huge cardinality": lambda c: c["engine"].update(cardinalities=[10**12, 10**12]),
        "huge bins": lambda c: (
            # a range too (the fit may have found no bounds: one bin whatever max_bins says)
            c["codecs"][1].update(max_bins=10**12, precision=None, low=0.0, high=50.0),
            [
                c["codecs"][1].pop(k, None)
                for k in ("edges", "points", "support", "support_weights", "allowed")
            ],
        ),
        "overflowing range": lambda c: c["codecs"][1].update(high=1e308, low=-1e308),
        "unknown engine": lambda c: c["engine"].update(name="__import__('os')"),
        "huge network": lambda c: c["engine"]["options"].update(hidden=10**9),
    }
    for what, edit in edits.items():
        hostile = json.loads(json.dumps(config))
        edit(hostile)
        p = _write(tmp_path / "hostile.synth", json.dumps(hostile).encode(), weights)
        with pytest.raises(ArtifactError if what != "unknown engine" else Exception) as err:
            Synthesizer.load(p)
        assert err.type.__module__.startswith("synth"), (what, err.type)
