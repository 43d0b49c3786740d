"""Reading tables and writing outputs atomically.

The names below load their module on first use: ``synth.io.compressed`` (which the CLI
imports for every command, to clean up) must not pull in pandas before a bad input has
been answered.
"""

from __future__ import annotations

import importlib
from typing import TYPE_CHECKING, Any

if TYPE_CHECKING:  # for type checkers and editors; at run time see __getattr__
    from synth.io.atomic import atomic_write_bytes, atomic_write_text, staged_directory
    from synth.io.tables import read_table, write_table

_LAZY = {
    "atomic_write_bytes": "synth.io.atomic",
    "atomic_write_text": "synth.io.atomic",
    "staged_directory": "synth.io.atomic",
    "read_table": "synth.io.tables",
    "write_table": "synth.io.tables",
}

__all__ = [
    "atomic_write_bytes",
    "atomic_write_text",
    "read_table",
    "staged_directory",
    "write_table",
]


def __getattr__(name: str) -> Any:
    if name in _LAZY:
        return getattr(importlib.import_module(_LAZY[name]), name)
    raise AttributeError(f"module 'synth.io' has no attribute {name!r}")
