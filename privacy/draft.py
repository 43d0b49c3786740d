"""The draft schema a scan proposes: columns, privacy unit, protected columns, delta.

It records structure only (types, formats, decimal places, identifier shapes), never
category lists or bounds from the data.
"""

from __future__ import annotations

import re

from privacy.findings import Finding
from privacy.header_rules import normalise_header
from synth.schema.model import Column, Dataset, Domain, Schema


def draft_schema(findings: list[Finding], name: str, rows: int) -> Schema:
    cols = []
    for f in findings:
        domain = Domain(precision=f.precision) if f.precision is not None else None
        cols.append(
            Column(
                name=f.name,
                type=f.type,
                role=f.role,
                entity=f.entity,
                action=f.action,
                generalise=f.generalise,
                format=f.format,
                domain=domain,
                nullable=bool(f.profile.get("missing", 1)),
                confidence=f.confidence,
                evidence=f.evidence,
                hipaa=f.hipaa,
            )
        )
    unit = None
    for f in findings:
        if f.entity == "MEDICAL_RECORD_NUMBER" and f.profile.get("unique_ratio", 1.0) < 0.999:
            unit = f.name
            break
    protected = [
        f.name
        for f in findings
        if re.search(r"(^|_)(sex|gender|race|ethnic\w*|age)(_|$)", normalise_header(f.name))
        and f.type != "identifier"
    ]
    delta = float(f"{min(1e-6, 1.0 / (10.0 * max(rows, 1))):.1g}")
    return Schema(
        dataset=Dataset(name=name, privacy_unit=unit, delta=delta, protected=protected),
        columns=cols,
    )
