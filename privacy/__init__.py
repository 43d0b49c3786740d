"""Privacy stages of steward-synth.

The whole API:

* :func:`scan` — classify every column (Presidio + our recognizers + header rules +
  shape statistics) and draft a schema for the steward to review.
* :func:`strip` — apply the schema's actions (drop, surrogates, redact, generalise) to
  produce a de-identified (not DP) copy.
* :func:`check_leakage` — nearest-neighbour re-identification gate of synthetic rows
  against training rows and a holdout the generator never saw.
* :func:`build_analyzer` — the offline Presidio analyzer everything above uses.
"""

from privacy.leakage import check_leakage
from privacy.nlp import build_analyzer
from privacy.scanner import scan
from privacy.stripping import strip

__all__ = ["build_analyzer", "check_leakage", "scan", "strip"]
