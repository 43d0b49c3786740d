"""What a scan returns: one :class:`Finding` per column and the :class:`ScanResult`.

Findings carry counts, shapes and evidence phrases only; never a real value.
"""

from __future__ import annotations

from dataclasses import asdict, dataclass, field
from typing import TYPE_CHECKING, Any

from synth.schema.model import Schema

if TYPE_CHECKING:
    from privacy.units import UnitChoice


@dataclass(frozen=True)
class Finding:
    name: str
    type: str
    role: str
    entity: str | None
    confidence: float
    action: str
    evidence: list[str]
    hipaa: str | None = None
    generalise: str | None = None
    format: str | None = None
    precision: int | None = None
    #: missing-value codes of a numerical column ('N', '?'), from every row
    missing_values: list[str] = field(default_factory=list)
    #: a public vocabulary (yes/no, F/M) declared as the category list, never values seen
    categories: list[str] | None = None
    text_entities: dict[str, int] = field(default_factory=dict)
    profile: dict[str, Any] = field(default_factory=dict)
    #: free text only, from a scan of every row (``scan_source``): spans per entity type
    #: and rows with at least one span; None when only a sample was analysed
    text_entities_all_rows: dict[str, int] | None = None
    text_rows_with_pii: int | None = None

    def to_dict(self) -> dict[str, Any]:
        out = asdict(self)
        out["profile"] = {k: v for k, v in self.profile.items() if k not in {"max_value"}}
        for key in ("text_entities_all_rows", "text_rows_with_pii"):
            if out[key] is None:
                del out[key]
        return out


@dataclass(frozen=True)
class ScanResult:
    source: str
    rows: int
    findings: list[Finding]
    schema: Schema
    nlp_engine: str
    seconds: float
    #: how a chunked scan read the table (sample size, what is exact, what is estimated)
    method: dict[str, Any] | None = None
    #: the privacy unit the draft chose, and why (:func:`privacy.units.choose_unit`)
    unit: UnitChoice | None = None

    def to_dict(self) -> dict[str, Any]:
        from synth.schema.io import schema_to_dict

        out = {
            "source": self.source,
            "rows": self.rows,
            "nlp_engine": self.nlp_engine,
            "seconds": round(self.seconds, 3),
            "columns": [f.to_dict() for f in self.findings],
            "summary": summarise(self.findings),
            "unit": None if self.unit is None else self.unit.to_dict(),
            "schema": schema_to_dict(self.schema),
        }
        if self.method is not None:
            out["scan_method"] = self.method
        return out


def summarise(findings: list[Finding]) -> dict[str, Any]:
    roles: dict[str, int] = {}
    for f in findings:
        roles[f.role] = roles.get(f.role, 0) + 1
    text: dict[str, int] = {}
    for f in findings:
        for ent, c in f.text_entities.items():
            text[ent] = text.get(ent, 0) + c
    out: dict[str, Any] = {"roles": roles, "free_text_entities": text}
    if any(f.text_entities_all_rows is not None for f in findings):
        every: dict[str, int] = {}
        for f in findings:
            for ent, c in (f.text_entities_all_rows or {}).items():
                every[ent] = every.get(ent, 0) + c
        out["free_text_entities_all_rows"] = dict(sorted(every.items()))
    return out
