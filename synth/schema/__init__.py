"""The schema: the contract between stages (see :mod:`synth.schema.model`)."""

from synth.schema.io import dump_schema, json_schema, load_schema, parse_schema, save_schema
from synth.schema.model import (
    Action,
    Column,
    ColumnType,
    Dataset,
    Domain,
    FixedCombinations,
    GateThresholds,
    Generalisation,
    Inequality,
    Role,
    Schema,
)

__all__ = [
    "Action",
    "Column",
    "ColumnType",
    "Dataset",
    "Domain",
    "FixedCombinations",
    "GateThresholds",
    "Generalisation",
    "Inequality",
    "Role",
    "Schema",
    "dump_schema",
    "json_schema",
    "load_schema",
    "parse_schema",
    "save_schema",
]
