"""Privacy stages of steward-synth.

The whole API:

* :func:`scan` — classify every column (Presidio + our recognizers + header rules +
  shape statistics) and draft a schema for the steward to review.
* :func:`scan_source` — :func:`scan` over a table read in chunks
  (:func:`synth.io.chunks.plan_chunks`), in this process or on a Dask runner
  (:func:`synth.cluster.connect`), without holding the table; same result on any runner.
* :func:`strip` — apply the schema's actions (drop, surrogates, redact, generalise) to
  produce a de-identified (not DP) copy.
* :func:`check_leakage` — nearest-neighbour re-identification gate of synthetic rows
  against training rows and a holdout the generator never saw.
* :func:`check_leakage_chunks` — :func:`check_leakage` with training and holdout rows
  read in chunks, normalised where each chunk is loaded; equal to it on the same files.
* :func:`build_analyzer` — the offline Presidio analyzer everything above uses.

Names are imported on first use (Presidio and spaCy take seconds to load).
"""

from __future__ import annotations

from importlib import import_module
from typing import TYPE_CHECKING, Any

if TYPE_CHECKING:
    from privacy.chunked_scan import scan_source
    from privacy.leakage import check_leakage
    from privacy.leakage.chunked import check_leakage_chunks
    from privacy.nlp import build_analyzer
    from privacy.scanner import scan
    from privacy.stripping import strip

__all__ = [
    "build_analyzer",
    "check_leakage",
    "check_leakage_chunks",
    "scan",
    "scan_source",
    "strip",
]

_WHERE = {
    "build_analyzer": "privacy.nlp",
    "check_leakage": "privacy.leakage",
    "check_leakage_chunks": "privacy.leakage.chunked",
    "scan": "privacy.scanner",
    "scan_source": "privacy.chunked_scan",
    "strip": "privacy.stripping",
}


def __getattr__(name: str) -> Any:
    if name in _WHERE:
        return getattr(import_module(_WHERE[name]), name)
    raise AttributeError(f"module 'privacy' has no attribute {name!r}")
