"""Ground-truth PII spans in the sample notes, and span recall of a detector.

The generator (sample_data/generate.py) writes each row's own name, dates, phone, MRN
and e-mail into its note, so ground truth = where the row's values occur in its note,
in every format the generator uses. SSN and street address never occur in those notes;
an *augmented* variant appends "Lives at <street_address>; SSN <ssn>." to each note.
Only offsets and counts leave this module.
"""

from __future__ import annotations

from datetime import date

import pandas as pd

GT_TYPES = [
    "PERSON",
    "DATE_OF_BIRTH",
    "DATE",
    "PHONE_NUMBER",
    "EMAIL_ADDRESS",
    "MRN",
    "US_SSN",
    "STREET_ADDRESS",
]
COVER = 0.9


def _formats(iso: str) -> list[str]:
    d = date.fromisoformat(iso)
    return [f"{d.month:02d}/{d.day:02d}/{d.year}", f"{d.strftime('%B')} {d.day}, {d.year}", iso]


def _find(text: str, needle: str) -> list[tuple[int, int]]:
    out, pos = [], 0
    while needle and (i := text.find(needle, pos)) >= 0:
        out.append((i, i + len(needle)))
        pos = i + len(needle)
    return out


def notes_with_truth(
    df: pd.DataFrame, augment: bool = False
) -> tuple[list[str], list[list[tuple[int, int, str]]]]:
    texts: list[str] = []
    truth: list[list[tuple[int, int, str]]] = []
    for row in df.itertuples(index=False):
        note = row.clinical_note
        if not isinstance(note, str) or not note.strip():
            continue
        if augment:
            note = f"{note} Lives at {row.street_address}; SSN {row.ssn}."
        spans: list[tuple[int, int, str]] = []
        names = _find(note, row.full_name)
        if not names:
            last = row.full_name.split()[-1]
            names = [(s + 4, e) for t in ("Mr. ", "Ms. ") for s, e in _find(note, t + last)]
        spans += [(s, e, "PERSON") for s, e in names]
        for fmt in _formats(row.date_of_birth)[:2]:
            spans += [(s, e, "DATE_OF_BIRTH") for s, e in _find(note, fmt)]
        for fmt in _formats(row.admission_date):
            spans += [(s, e, "DATE") for s, e in _find(note, fmt)]
        spans += [(s, e, "PHONE_NUMBER") for s, e in _find(note, row.phone)]
        spans += [(s, e, "EMAIL_ADDRESS") for s, e in _find(note, row.email)]
        spans += [(s, e, "MRN") for s, e in _find(note, row.mrn)]
        if augment:
            spans += [(s, e, "US_SSN") for s, e in _find(note, row.ssn)]
            spans += [(s, e, "STREET_ADDRESS") for s, e in _find(note, row.street_address)]
        texts.append(note)
        truth.append(spans)
    return texts, truth


def span_recall(
    truth: list[list[tuple[int, int, str]]], found: list[list[tuple[int, int]]]
) -> dict[str, dict[str, float]]:
    """Per type: a true span counts as found when ≥90% of its characters lie in found spans
    (of any entity type: what matters for redaction is that the characters are replaced)."""
    hit: dict[str, int] = {}
    total: dict[str, int] = {}
    extra = 0
    for gt, fs in zip(truth, found, strict=True):
        covered = set()
        for s, e in fs:
            covered.update(range(s, e))
        for s, e, t in gt:
            total[t] = total.get(t, 0) + 1
            if sum(1 for i in range(s, e) if i in covered) >= COVER * (e - s):
                hit[t] = hit.get(t, 0) + 1
        gt_chars = {i for s, e, _ in gt for i in range(s, e)}
        extra += sum(1 for s, e in fs if not gt_chars.intersection(range(s, e)))
    out = {
        t: {"spans": total[t], "recall": round(hit.get(t, 0) / total[t], 4)}
        for t in GT_TYPES
        if t in total
    }
    out["_extra_spans_outside_truth"] = {"spans": extra, "recall": float("nan")}
    return out
