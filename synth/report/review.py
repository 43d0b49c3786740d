"""The steward's review: where the reviewed schema differs from the scan's draft.

A release with ``--schema`` still scans the table (or reads the ``scan.json`` next to the
schema), so the report keeps the scan's evidence and shows the steward's decisions column
by column: a role, action, type or domain changed, a column added or left out. Only the
schema's own words are shown (names, roles, types, declared bounds and how many
categories), never a value read from the rows.

>>> from synth.schema import parse_schema
>>> d = parse_schema({"columns": [{"name": "zip", "type": "categorical"},
...                               {"name": "age", "type": "numerical"}]})
>>> r = parse_schema({"dataset": {"privacy_unit": None},
...                   "columns": [{"name": "zip", "type": "categorical",
...                                "role": "quasi_identifier", "action": "generalise",
...                                "generalise": "zip3"},
...                               {"name": "age", "type": "numerical",
...                                "domain": {"min": 0, "max": 120}}]})
>>> [(c["column"], c["field"], c["draft"], c["reviewed"]) for c in schema_review(d, r)["changes"]]
[('zip', 'role', 'other', 'quasi identifier'), ('zip', 'action', 'keep', 'generalise'), \
('zip', 'generalise', '—', 'zip3'), ('age', 'domain', 'none', 'bounds 0 – 120')]
"""

from __future__ import annotations

from typing import Any

from synth.report.common import fmt
from synth.schema.model import Column, Domain, Schema

#: column fields compared, in the order the report lists them
FIELDS = ("type", "role", "entity", "action", "generalise", "format", "nullable", "static")
#: dataset fields compared
DATASET_FIELDS = ("privacy_unit", "max_rows_per_unit", "delta", "target", "protected")
NONE = "—"


def _word(v: Any) -> str:
    if v is None:
        return NONE
    if isinstance(v, bool):
        return "yes" if v else "no"
    if isinstance(v, list):
        return ", ".join(str(x) for x in v) if v else "none"
    if isinstance(v, float):
        return fmt(v)
    return str(v).replace("_", " ")


def domain_words(d: Domain | None) -> str:
    """A domain in words: how many categories, the declared bounds and precision."""
    if d is None:
        return "none"
    parts = []
    if d.categories is not None:
        parts.append(f"{len(d.categories)} categories")
    if d.has_bounds:
        parts.append(f"bounds {_bound(d.min)} – {_bound(d.max)}")
    if d.precision is not None:
        parts.append(f"{d.precision} decimals")
    return ", ".join(parts) or "none"


def _bound(v: Any) -> str:
    return fmt(v) if isinstance(v, int | float) else str(v)


def _column_changes(draft: Column, reviewed: Column) -> list[dict[str, Any]]:
    out = []
    for f in FIELDS:
        a, b = getattr(draft, f), getattr(reviewed, f)
        if a != b:
            out.append(
                {"column": reviewed.name, "field": f, "draft": _word(a), "reviewed": _word(b)}
            )
    if draft.domain != reviewed.domain:
        a, b = domain_words(draft.domain), domain_words(reviewed.domain)
        if a == b:  # e.g. a category list of the same length, edited
            b += " (edited)"
        out.append({"column": reviewed.name, "field": "domain", "draft": a, "reviewed": b})
    if sorted(draft.missing_values) != sorted(reviewed.missing_values):
        out.append(
            {
                "column": reviewed.name,
                "field": "missing-value codes",
                "draft": f"{len(draft.missing_values)} codes",
                "reviewed": f"{len(reviewed.missing_values)} codes",
            }
        )
    return out


def schema_review(draft: Schema, reviewed: Schema) -> dict[str, Any]:
    """Column-by-column (then dataset) differences between ``draft`` and ``reviewed``."""
    before = {c.name: c for c in draft.columns}
    after = {c.name: c for c in reviewed.columns}
    changes: list[dict[str, Any]] = []
    for c in reviewed.columns:
        if c.name in before:
            changes += _column_changes(before[c.name], c)
        else:
            changes.append(
                {
                    "column": c.name,
                    "field": "column",
                    "draft": "not in the draft",
                    "reviewed": "added",
                }
            )
    for c in draft.columns:
        if c.name not in after:
            changes.append(
                {
                    "column": c.name,
                    "field": "column",
                    "draft": "drafted",
                    "reviewed": "not in the reviewed schema",
                }
            )
    dataset = []
    for f in DATASET_FIELDS:
        a, b = getattr(draft.dataset, f), getattr(reviewed.dataset, f)
        if a != b:
            dataset.append({"field": f, "draft": _word(a), "reviewed": _word(b)})
    changed = {c["column"] for c in changes}
    return {
        "changes": changes,
        "dataset": dataset,
        "columns_changed": len(changed),
        "columns_unchanged": sum(1 for c in reviewed.columns if c.name not in changed),
    }
