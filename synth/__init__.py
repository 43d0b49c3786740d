"""steward-synth: DP synthetic copies of sensitive tables.

The whole API:

* :class:`Schema` and :func:`load_schema` — the contract between stages.
* :class:`Synthesizer` — ``fit`` a table under (ε, δ)-DP, ``sample`` rows, ``save``/``load``.
* :class:`PrivacyLedger` — where every bit of ε went.
* :func:`release` — scan → schema → fit → sample → check → report, in one call.
"""

from synth.ledger import PrivacyLedger
from synth.schema import Schema, load_schema
from synth.synthesizer import Synthesizer

__all__ = ["PrivacyLedger", "Schema", "Synthesizer", "load_schema", "release"]


def release(*args, **kwargs):
    """Run a whole release; see :func:`synth.release.run_release`."""
    from synth.release import run_release

    return run_release(*args, **kwargs)
