"""Reading tables and writing outputs atomically."""

from synth.io.atomic import atomic_write_bytes, atomic_write_text, staged_directory
from synth.io.tables import read_table, write_table

__all__ = [
    "atomic_write_bytes",
    "atomic_write_text",
    "read_table",
    "staged_directory",
    "write_table",
]
