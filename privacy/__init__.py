"""Privacy stages of steward-synth.

The whole API:

* :func:`scan` — classify every column (Presidio + our recognizers + header rules +
  shape statistics) and draft a schema for the steward to review.
* :func:`strip` — apply the schema's actions (drop, surrogates, redact, generalise) to
  produce a de-identified (not DP) copy.
* :func:`check_leakage` — nearest-neighbour re-identification gate of synthetic rows
  against training rows and a holdout the generator never saw.
* :func:`build_analyzer` — the offline Presidio analyzer everything above uses.

Names are imported on first use (Presidio and spaCy take seconds to load).
"""

from __future__ import annotations

from importlib import import_module
from typing import TYPE_CHECKING, Any

if TYPE_CHECKING:
    from privacy.leakage import check_leakage
    from privacy.nlp import build_analyzer
    from privacy.scanner import scan
    from privacy.stripping import strip

__all__ = ["build_analyzer", "check_leakage", "scan", "strip"]

_WHERE = {
    "build_analyzer": "privacy.nlp",
    "check_leakage": "privacy.leakage",
    "scan": "privacy.scanner",
    "strip": "privacy.stripping",
}


def __getattr__(name: str) -> Any:
    if name in _WHERE:
        return getattr(import_module(_WHERE[name]), name)
    raise AttributeError(f"module 'privacy' has no attribute {name!r}")
