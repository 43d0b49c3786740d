"""Read and write schema files (YAML), with errors that name file, column and problem."""

from __future__ import annotations

import json
from pathlib import Path
from typing import Any

import yaml
from pydantic import ValidationError

from synth.errors import SchemaError
from synth.io.atomic import atomic_write_text
from synth.schema.model import Schema

#: where the schema of a release came from, as ``release.json`` and the report say it
REVIEWED = "reviewed"
DRAFT = "draft (unreviewed)"


def _describe(loc: tuple[Any, ...], raw: dict[str, Any]) -> str:
    """Turn a pydantic error location into 'column 'x' → field' wording."""
    parts: list[str] = []
    i = 0
    while i < len(loc):
        key = loc[i]
        if key == "columns" and i + 1 < len(loc) and isinstance(loc[i + 1], int):
            idx = loc[i + 1]
            name = None
            cols = raw.get("columns")
            if isinstance(cols, list) and idx < len(cols) and isinstance(cols[idx], dict):
                name = cols[idx].get("name")
            parts.append(f"column '{name}'" if name else f"column #{idx + 1}")
            i += 2
            continue
        parts.append(str(key))
        i += 1
    return " → ".join(parts) if parts else "top level"


def parse_schema(raw: Any, source: str = "<schema>") -> Schema:
    """Validate a parsed YAML/JSON document as a :class:`Schema`."""
    if not isinstance(raw, dict):
        raise SchemaError(f"{source}: a schema must be a mapping with 'dataset' and 'columns'")
    try:
        return Schema.model_validate(raw)
    except ValidationError as exc:
        problems = []
        for err in exc.errors(include_input=False, include_url=False):
            loc = tuple(
                x
                for x in err["loc"]
                if not (isinstance(x, str) and x in {"inequality", "fixed_combinations"})
            )
            problems.append(f"{_describe(loc, raw)}: {err['msg']}")
        first = problems[0]
        more = f" (and {len(problems) - 1} more problem(s))" if len(problems) > 1 else ""
        raise SchemaError(f"{source}: {first}{more}") from None


def load_schema(path: str | Path) -> Schema:
    """Load and validate a schema file. YAML is parsed with ``safe_load`` (no code runs)."""
    p = Path(path)
    if not p.exists():
        raise SchemaError(f"{p}: schema file not found")
    if not p.is_file():
        raise SchemaError(f"{p}: schema path is not a file")
    try:
        text = p.read_text(encoding="utf-8")
    except (OSError, UnicodeDecodeError) as exc:
        raise SchemaError(f"{p}: cannot read schema ({type(exc).__name__})") from None
    if not text.strip():
        raise SchemaError(f"{p}: schema file is empty")
    try:
        raw = yaml.safe_load(text)
    except yaml.YAMLError as exc:
        mark = getattr(exc, "problem_mark", None)
        where = f" at line {mark.line + 1}" if mark is not None else ""
        raise SchemaError(f"{p}: not valid YAML{where}") from None
    return parse_schema(raw, str(p))


def schema_to_dict(schema: Schema) -> dict[str, Any]:
    """The schema as plain data; a column's ``static: false`` (the default) is left out so
    that only the columns constant per person carry the key."""
    out = json.loads(schema.model_dump_json(exclude_none=True, exclude_defaults=False))
    for col in out.get("columns", []):
        if col.get("static") is False:
            del col["static"]
    return out


def dump_schema(schema: Schema, header: str | None = None) -> str:
    body = yaml.safe_dump(schema_to_dict(schema), sort_keys=False, allow_unicode=True, width=100)
    if header:
        body = "".join(f"# {line}\n" if line else "#\n" for line in header.splitlines()) + body
    return body


def save_schema(schema: Schema, path: str | Path, header: str | None = None) -> None:
    atomic_write_text(Path(path), dump_schema(schema, header))


def json_schema() -> dict[str, Any]:
    """The machine-readable JSON Schema of the format (kept in ``schemas/schema.json``)."""
    doc = Schema.model_json_schema()
    doc["$schema"] = "https://json-schema.org/draft/2020-12/schema"
    doc["$id"] = "steward-synth/schema/v1"
    doc["title"] = "steward-synth dataset schema"
    return doc
