"""steward-synth: DP synthetic copies of sensitive tables.

The whole API:

* :class:`Schema` and :func:`load_schema` — the contract between stages.
* :class:`Synthesizer` — ``fit`` a table under (ε, δ)-DP, ``sample`` rows, ``save``/``load``.
* :class:`LinkedSynthesizer` — a person table and its child tables under one budget.
* :class:`PrivacyLedger` — where every bit of ε went.
* :func:`release` — scan → schema → fit → sample → check → report, in one call.

Names are imported on first use, so ``synth --help`` and input errors do not wait for
torch to load.
"""

from __future__ import annotations

from importlib import import_module
from typing import TYPE_CHECKING, Any

if TYPE_CHECKING:
    from pathlib import Path

    from synth.ledger import PrivacyLedger
    from synth.linked import LinkedSynthesizer
    from synth.releasing import ReleaseResult
    from synth.schema import Schema, load_schema
    from synth.synthesizer import Synthesizer

__all__ = [
    "LinkedSynthesizer",
    "PrivacyLedger",
    "Schema",
    "Synthesizer",
    "load_schema",
    "release",
]

_WHERE = {
    "LinkedSynthesizer": "synth.linked",
    "PrivacyLedger": "synth.ledger",
    "Schema": "synth.schema",
    "load_schema": "synth.schema",
    "Synthesizer": "synth.synthesizer",
}


def __getattr__(name: str) -> Any:
    if name in _WHERE:
        return getattr(import_module(_WHERE[name]), name)
    raise AttributeError(f"module 'synth' has no attribute {name!r}")


def release(
    data_path: str | Path,
    *,
    epsilon: float,
    out_dir: str | Path,
    schema_path: str | Path | None = None,
    delta: float | None = None,
    engine: str = "auto",
    rows: int | None = None,
    seed: int | None = None,
    overwrite: bool = False,
    engine_options: dict[str, Any] | None = None,
    progress: Any = None,
    filter_flagged: bool = False,
    cluster: str | None = None,
    insecure_seed: int | None = None,
    argv: list[str] | None = None,
) -> ReleaseResult:
    """Scan (unless ``schema_path`` is given), split off a holdout, fit under (ε, δ)-DP,
    sample, check for leakage and report into ``out_dir``: the whole of
    :func:`synth.releasing.run_release` (its doc has every parameter), imported on first
    call. ``seed`` makes only the sampling reproducible; ``insecure_seed`` is for tests
    and makes the release NOT private. Returns the passed/blocked result with the paths
    written."""
    from synth.releasing import run_release

    kwargs: dict[str, Any] = {"progress": progress} if progress is not None else {}
    return run_release(
        data_path,
        epsilon=epsilon,
        out_dir=out_dir,
        schema_path=schema_path,
        delta=delta,
        engine=engine,
        rows=rows,
        seed=seed,
        overwrite=overwrite,
        engine_options=engine_options,
        filter_flagged=filter_flagged,
        cluster=cluster,
        insecure_seed=insecure_seed,
        argv=argv,
        **kwargs,
    )
