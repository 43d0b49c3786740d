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
    from synth.ledger import PrivacyLedger
    from synth.linked import LinkedSynthesizer
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


def release(*args: Any, **kwargs: Any) -> Any:
    """Run a whole release; see :func:`synth.release.run_release`."""
    from synth.release import run_release

    return run_release(*args, **kwargs)
