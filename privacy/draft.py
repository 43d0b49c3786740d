"""The draft schema a scan proposes: columns, privacy unit, protected columns, delta.

It records structure only (types, roles, actions, formats, identifier shapes), never a
fact that shapes the model or the output from the values themselves:

* no category lists, bounds or decimal places: the fit estimates them under DP and
  charges the ledger (:mod:`synth.domain`). The one exception is a column holding only
  values of a public vocabulary (yes/no, F/M: :mod:`privacy.vocabularies`), which gets
  the whole vocabulary, whichever of its values occur; and a column most of whose values
  come from a public list (country names, the small whole numbers 0-20 of an
  integer-coded enumeration), which gets that list as *candidates*: the fit
  counts every candidate under DP and keeps those holding rows, and finds the other
  values by partition selection;
* ``nullable: true`` on every column (whether a value is missing somewhere is a fact of
  one row; the model learns how often values are missing under DP instead);
* δ from a public rule (:data:`DRAFT_DELTA`), not from the number of rows;
* a numerical column of a few dozen repeated numbers with wide gaps (area codes, a
  per-area value) drafted as categories (:func:`_sparse_codes`).

The structure itself (a column's type, role and action, the missing-value codes of a
numerical column such as 'N' or '?', the privacy unit, whether rows repeat per person,
which columns are constant within each person) is read from the rows without DP; a
release on an unreviewed draft says so on its report's first screen, and the steward's
review makes those choices public.
"""

from __future__ import annotations

import re
from collections.abc import Collection

from privacy.findings import Finding
from privacy.header_rules import normalise_header
from privacy.profile import SPARSE_MAX_VALUES
from privacy.units import UnitChoice, choose_unit
from synth.schema.model import Column, Dataset, Domain, Schema

#: δ of a draft: the schema's documented default, chosen without looking at n. It is
#: ≤ 1/(10·n) up to 100,000 persons (what the draft gave every such table before); for a
#: larger table the report's first screen asks for a smaller δ, judged on the model's DP
#: row estimate. 1e-9 for every table was measured too: on UCI Adult's default path at
#: ε = 1 it raised the mean 2-way TVD from 0.033 to 0.045 (BENCHMARKS.md).
DRAFT_DELTA = Dataset().delta


def draft_schema(
    findings: list[Finding],
    name: str,
    unit: UnitChoice | None = None,
    static: Collection[str] = (),
) -> Schema:
    """The draft schema of a scan's ``findings``.

    ``unit``: the privacy unit (:func:`privacy.units.choose_unit` on exact counts from
    every row; None: chosen here from the findings' profiles). When its values repeat,
    rows per person are bounded by a DP choice (``max_rows_per_unit: auto``) and the
    ``static`` columns (constant within each person) are marked so.
    """
    if unit is None:
        unit = choose_unit(findings, {})
    if not unit.rows_repeat:
        static = ()
    cols = [
        Column(
            name=f.name,
            type="categorical" if _sparse_codes(f) else f.type,
            role=f.role,
            entity=f.entity,
            action=f.action,
            generalise=f.generalise,
            format=f.format,
            nullable=True,
            missing_values=[] if _sparse_codes(f) else f.missing_values,
            domain=_domain(f),
            confidence=f.confidence,
            evidence=[*f.evidence, SPARSE_EVIDENCE] if _sparse_codes(f) else f.evidence,
            hipaa=f.hipaa,
            static=f.name in static,
        )
        for f in findings
    ]
    protected = [
        f.name
        for f in findings
        if re.search(
            r"(^|_)(sex|gender|race|ethnic\w*|age|agep|rac\d_?p|hisp|hispanic)(_|$)",
            normalise_header(f.name),
        )
        and f.type != "identifier"
    ]
    return Schema(
        dataset=Dataset(
            name=name,
            privacy_unit=unit.column,
            max_rows_per_unit="auto" if unit.rows_repeat else 1,
            delta=DRAFT_DELTA,
            protected=protected,
        ),
        columns=cols,
    )


SPARSE_EVIDENCE = "a few dozen repeated numbers with wide gaps (codes): drafted as categories"


def _sparse_codes(f: Finding) -> bool:
    """A numerical column of area codes or per-area values (``Profile.sparse_codes`` on
    the sample, and at most ``SPARSE_MAX_VALUES`` distinct values in the whole column) is
    drafted categorical: partition selection keeps the codes holding rows and no number
    between two codes is ever written (coded as numbers, a few dozen area codes came out
    as hundreds of values at ε = 1; BENCHMARKS.md, issue 16). Structure read from the
    rows without DP, like the column's type."""
    p = f.profile
    if f.type != "numerical" or not p.get("sparse_codes"):
        return False
    numbers = int(p.get("distinct", 0)) - len(f.missing_values)
    return numbers <= SPARSE_MAX_VALUES


def _domain(f: Finding) -> Domain | None:
    """A public vocabulary as the category list, or a public list most values come from
    (country names) as candidate categories, else nothing (estimated under DP)."""
    if f.categories:
        return Domain(categories=f.categories)
    candidates = f.profile.get("candidates") if f.type == "categorical" else None
    return Domain(candidates=list(candidates)) if candidates else None
