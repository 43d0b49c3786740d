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
    from synth.releasing import run_release as release
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

#: public name → (module, name there), imported on first use
_WHERE = {
    "LinkedSynthesizer": ("synth.linked", "LinkedSynthesizer"),
    "PrivacyLedger": ("synth.ledger", "PrivacyLedger"),
    "Schema": ("synth.schema", "Schema"),
    "load_schema": ("synth.schema", "load_schema"),
    "Synthesizer": ("synth.synthesizer", "Synthesizer"),
    # the orchestration module is synth.releasing, so no submodule import shadows this name
    "release": ("synth.releasing", "run_release"),
}


def __getattr__(name: str) -> Any:
    if name in _WHERE:
        module, attribute = _WHERE[name]
        return getattr(import_module(module), attribute)
    raise AttributeError(f"module 'synth' has no attribute {name!r}")
