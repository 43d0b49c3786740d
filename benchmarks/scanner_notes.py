"""Ground-truth PII spans in the sample notes, and span recall of a detector.

The generator (sample_data/generate.py) writes each row's own name, dates, phone, MRN
and e-mail into its note, so ground truth = where the row's values occur in its note,
in every format the generator uses. SSN and street address never occur in those notes;
an *augmented* variant appends the row's street address and SSN to each note in one of
four phrasings (:data:`AUGMENT`): bare street, street + unit + city/state/ZIP, street +
suite, street + city/state/ZIP, with and without context words; the whole written address
(unit, city, state and ZIP included) is the ground-truth span. A dosage ("500 mg") and a
lab value ride along as hard negatives. Only offsets and counts leave this module.
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
#: (address phrasing, SSN phrasing); {street} {unit} {city} {state} {zip} {ssn} filled per row
AUGMENT = [
    ("Lives at {street}", "; SSN {ssn}."),
    ("Home address: {street}, Apt {unit}, {city}, {state} {zip}", ". SSN {ssn}."),
    ("Metformin 500 mg BID. Resides at {street} Suite {unit}", "; SSN: {ssn}."),
    ("Hb 12 g/dL. Mailing: {street}, {city}, {state} {zip}", ". Social security {ssn}."),
]
#: syllables for made-up names that no lexicon holds (the *outside* variant: each row's
#: name in its note is swapped for one, to measure what NER adds beyond the lexicon)
_SYL = ["ka", "zu", "mi", "tor", "vel", "an", "ro", "qui", "dex", "ol", "ny", "bra", "sen"]
CITIES = ["Salem", "New Bedford", "Fall River", "Worcester", "Albany", "Utica", "Rochester"]


def _formats(iso: str) -> list[str]:
    d = date.fromisoformat(iso)
    return [f"{d.month:02d}/{d.day:02d}/{d.year}", f"{d.strftime('%B')} {d.day}, {d.year}", iso]


def _find(text: str, needle: str) -> list[tuple[int, int]]:
    out, pos = [], 0
    while needle and (i := text.find(needle, pos)) >= 0:
        out.append((i, i + len(needle)))
        pos = i + len(needle)
    return out


def outside_name(k: int) -> str:
    """A made-up 'Given Family' name (syllables), none of them in the name lexicon."""
    from privacy.recognizers.names import name_lexicon

    given, family = name_lexicon()
    n = len(_SYL)
    for j in range(k, k + 10_000):
        a = (_SYL[j % n] + _SYL[(j // n) % n] + _SYL[(j // n // n) % n]).capitalize()
        b = (_SYL[(j * 7 + 3) % n] + _SYL[(j // 3) % n] + "ski").capitalize()
        if a not in given and a not in family and b not in given and b not in family:
            return f"{a} {b}"
    raise RuntimeError("no made-up name outside the lexicon")


def notes_with_truth(
    df: pd.DataFrame, augment: bool = False, outside: bool = False
) -> tuple[list[str], list[list[tuple[int, int, str]]]]:
    texts: list[str] = []
    truth: list[list[tuple[int, int, str]]] = []
    for row in df.itertuples(index=False):
        note = row.clinical_note
        if not isinstance(note, str) or not note.strip():
            continue
        if outside:
            made_up = outside_name(len(texts))
            last = row.full_name.split()[-1]
            note = note.replace(row.full_name, made_up)
            note = note.replace(f"Mr. {last}", f"Mr. {made_up.split()[-1]}")
            note = note.replace(f"Ms. {last}", f"Ms. {made_up.split()[-1]}")
            row = row._replace(full_name=made_up)
        address = ""
        if augment:
            k = len(texts)
            addr_fmt, ssn_fmt = AUGMENT[k % len(AUGMENT)]
            address = addr_fmt.format(
                street=row.street_address,
                unit=f"{k % 9 + 1}{'ABCD'[k % 4]}" if "Apt" in addr_fmt else str(100 + k % 300),
                city=CITIES[k % len(CITIES)],
                state="NY" if str(row.zip).startswith("1") else "MA",
                zip=row.zip,
            )
            note = f"{note} {address}{ssn_fmt.format(ssn=row.ssn)}"
            # the truth span starts at the house number: drop the lead-in words
            address = address[address.index(row.street_address) :]
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
            spans += [(s, e, "STREET_ADDRESS") for s, e in _find(note, address)]
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
