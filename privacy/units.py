"""The privacy unit: the column whose value names the person a row belongs to.

The DP guarantee protects everything one unit contributes. When rows repeat per person
(one row per hospital encounter, several encounters per patient) the unit is the
person, and the fit bounds how many rows of one person it keeps
(``dataset.max_rows_per_unit``); with no person column the guarantee is per row.

Three pieces, each read from every row and never from a sample:

* :func:`key_kind`: what a key column's header names, a person (``patient_nbr``,
  ``PATIENT``, ``member_id``) or a record (``encounter_id``, ``Id``, ``claim_no``);
* :class:`KeyCounts`: the exact distinct count of a key column and whether its values
  repeat, from 64-bit hashes of every value (mergeable across chunks, so a chunked scan
  counts exactly where its distinct-count sketch would only estimate);
* :class:`PersonValues` and :func:`static_columns`: which modelled columns are constant
  within each person (``static``, such as gender), from hashes of every row's values,
  mergeable across chunks however a person's rows are spread over them.

:func:`choose_unit` combines them. Its reason says why in words: it names columns,
never a value, and no count of rows per person.
"""

from __future__ import annotations

import re
from collections.abc import Callable, Collection, Mapping, Sequence
from dataclasses import dataclass, replace
from typing import TYPE_CHECKING, Any, Literal

import numpy as np
import pandas as pd

from privacy.header_rules import normalise_header
from privacy.profile import present_values

if TYPE_CHECKING:
    from privacy.findings import Finding

KeyKind = Literal["person", "record"]

#: words that name a person (a patient, a customer, a health-plan member)
_PERSON = (
    r"patient|person|subject|participant|member|subscriber|beneficiary|enrollee|insured|"
    r"client|customer|user|employee|student|resident|individual|mrn|medical_record|chart|"
    r"medicare|medicaid"
)
#: words that name one record of a person (an encounter, a claim, a lab specimen)
_RECORD = (
    r"encounter|visit|admission|episode|stay|case|record|claim|account|specimen|accession|"
    r"sample|order|row|line|item|entry|transaction|event|appointment|session|invoice|ticket"
)
#: the endings of a key column's name (``_id``, ``nbr``, ``_number``)
_KEY = r"(id|ids|nbr|num|number|no|key|uuid|guid|identifier|code|sk)"
_PERSON_KEY = re.compile(rf"^({_PERSON})(_?{_KEY})?$|(^|_)({_PERSON})_?{_KEY}$|^(mbi|hicn)$")
_RECORD_KEY = re.compile(
    rf"^({_RECORD})(_?{_KEY})?$|(^|_)({_RECORD})_?{_KEY}$|^(id|uid|uuid|guid|pk|key|pid|rowid|idx)$"
)
#: the entities of a key column (besides any column of type ``identifier``)
_KEY_ENTITIES = {"MEDICAL_RECORD_NUMBER", "ID"}


def key_kind(header: str) -> KeyKind | None:
    """What a key column's name says it identifies: a person, a record, or neither.

    The word before the key ending decides (``patient_encounter_id`` names encounters).

    >>> [key_kind(h) for h in ("patient_nbr", "PATIENT", "PatientID", "member_id", "MRN")]
    ['person', 'person', 'person', 'person', 'person']
    >>> [key_kind(h) for h in ("encounter_id", "Id", "ENCOUNTER", "claim_no", "uuid")]
    ['record', 'record', 'record', 'record', 'record']
    >>> [key_kind(h) for h in ("patient_encounter_id", "admission_type_id", "provider_id")]
    ['record', None, None]
    """
    norm = normalise_header(header)
    if _PERSON_KEY.search(norm):
        return "person"
    if _RECORD_KEY.search(norm):
        return "record"
    return None


def key_columns(headers: Sequence[str]) -> list[str]:
    """The columns whose name makes them a candidate privacy unit (exact counts needed).

    >>> key_columns(["encounter_id", "patient_nbr", "race"])
    ['encounter_id', 'patient_nbr']
    """
    return [h for h in headers if key_kind(h) is not None]


def is_key_candidate(f: Finding) -> bool:
    """A finding that may be the privacy unit: a key by name, and by its classification."""
    return key_kind(f.name) is not None and (f.entity in _KEY_ENTITIES or f.type == "identifier")


def value_hashes(values: pd.Series) -> np.ndarray:
    """64-bit hashes of the values' text (pandas' fixed-key SipHash, the same in every
    process, as :func:`privacy.profile.distinct_sketch` uses), one per value."""
    if len(values) == 0:
        return np.zeros(0, dtype=np.uint64)
    return pd.util.hash_array(values.astype(str).to_numpy(dtype=object))


@dataclass(frozen=True)
class KeyCounts:
    """Every distinct value hash of a key column (sorted) and the rows that hold each.

    Exact where a KMV sketch estimates: memory 16 bytes per distinct value. Counts from
    parts of the rows merge into the counts of all of them (:meth:`merge`).

    >>> a = KeyCounts.of(pd.Series(["p1", "p2", None]))
    >>> b = KeyCounts.of(pd.Series(["p2", "p3", " "]))
    >>> both = KeyCounts.merge([a, b])
    >>> both.distinct, both.rows, both.repeats, a.repeats
    (3, 4, True, False)
    """

    hashes: np.ndarray
    counts: np.ndarray

    @classmethod
    def of(cls, values: pd.Series) -> KeyCounts:
        """The counts of the present values (missing and blank ones are no key)."""
        hashes, counts = np.unique(value_hashes(present_values(values)), return_counts=True)
        return cls(hashes.astype(np.uint64), counts.astype(np.int64))

    @classmethod
    def merge(cls, parts: Sequence[KeyCounts]) -> KeyCounts:
        """The counts of the union of the rows the ``parts`` describe."""
        if not parts:
            return cls(np.zeros(0, dtype=np.uint64), np.zeros(0, dtype=np.int64))
        if len(parts) == 1:
            return parts[0]
        hashes, where = np.unique(np.concatenate([p.hashes for p in parts]), return_inverse=True)
        counts = np.zeros(len(hashes), dtype=np.int64)
        np.add.at(counts, where, np.concatenate([p.counts for p in parts]))
        return cls(hashes, counts)

    @property
    def distinct(self) -> int:
        return len(self.hashes)

    @property
    def rows(self) -> int:
        return int(self.counts.sum())

    @property
    def repeats(self) -> bool:
        """Does some value stand in more than one row (does the key group rows)?"""
        return bool(len(self.counts) and self.counts.max() > 1)

    @property
    def repeated(self) -> int:
        """How many values stand in more than one row (persons with several rows)."""
        return int((self.counts > 1).sum())


@dataclass(frozen=True)
class UnitChoice:
    """The privacy unit a scan drafts, and why (in words: column names, no values)."""

    column: str | None
    kind: KeyKind | None
    reason: str
    rows_repeat: bool

    def to_dict(self) -> dict[str, Any]:
        return {
            "column": self.column,
            "kind": self.kind,
            "reason": self.reason,
            "rows_repeat": self.rows_repeat,
        }


def _repeats(f: Finding, keys: Mapping[str, KeyCounts]) -> bool:
    """Exact from ``keys``; else from the finding's profile (exact in an in-memory scan,
    possibly estimated in a chunked one, which therefore passes ``keys``)."""
    if f.name in keys:
        return keys[f.name].repeats
    present = int(f.profile.get("rows", 0)) - int(f.profile.get("missing", 0))
    return int(f.profile.get("distinct", present)) < present


def choose_unit(findings: Sequence[Finding], keys: Mapping[str, KeyCounts]) -> UnitChoice:
    """The privacy unit among the key columns (:func:`is_key_candidate`).

    A person-named key wins whether or not its values repeat (a unique patient id still
    makes the unit the person; among several, the first whose values repeat, else the
    first). Else a record-named key whose values repeat (it groups rows; the first such).
    Else none: the guarantee is per row. ``keys``: exact counts per key column
    (:class:`KeyCounts`, from every row).
    """
    candidates = [f for f in findings if is_key_candidate(f)]
    persons = [f for f in candidates if key_kind(f.name) == "person"]
    if persons:
        repeating = [f for f in persons if _repeats(f, keys)]
        pick = (repeating or persons)[0]
        if repeating:
            reason = f"{pick.name}: person identifier; rows repeat per person"
        else:
            reason = f"{pick.name}: person identifier; one row per person"
        return UnitChoice(pick.name, "person", reason, bool(repeating))
    for f in candidates:
        if _repeats(f, keys):
            reason = f"{f.name}: no person column; record identifier whose values repeat"
            return UnitChoice(f.name, "record", reason, True)
    return UnitChoice(None, None, "no person column: the guarantee is per row", False)


#: a column is static when constant within person for at least this share of the persons
#: with more than one row
STATIC_SHARE = 0.99
#: ... and beyond chance: two persons' values differ at least this many times as often as a
#: person's rows do (a column nearly constant over the whole table, such as a drug almost
#: nobody takes, is constant within persons without saying anything about them) ...
STATIC_CONTRAST = 10.0
#: ... and two persons' values differ at least this often (else it is near-constant)
STATIC_MIN_SPREAD = 0.01
#: a person's value of a column that is not constant over the person's rows
VARIES = np.uint64(2**64 - 1)
#: the hash standing for a missing value (missing is a value: missing in one row and
#: present in another is not constant)
MISSING = np.uint64(0)
_STATIC_TYPES = {"categorical", "numerical", "datetime"}
_STATIC_ACTIONS = {"keep", "generalise"}
STATIC_EVIDENCE = "constant within each person (static)"


def static_candidates(findings: Sequence[Finding], unit: str | None) -> list[str]:
    """Modelled columns that may be static: categorical, numerical or datetime columns
    kept or generalised, other than the unit (no identifiers, no free text)."""
    return [
        f.name
        for f in findings
        if f.type in _STATIC_TYPES and f.action in _STATIC_ACTIONS and f.name != unit
    ]


def _row_hashes(values: pd.Series) -> np.ndarray:
    """One hash per row, of the value's text (as :func:`value_hashes`); :data:`MISSING`
    for a missing or blank value. Each distinct value is made text, hashed and tested for
    blanks once."""
    codes, uniques = pd.factorize(values.to_numpy(dtype=object))  # missing: code -1
    text = np.array([str(u) for u in uniques], dtype=object)
    hashes = np.append(pd.util.hash_array(text, categorize=False), MISSING)  # [-1]: missing
    hashes[:-1][np.array([not t.strip() for t in text], dtype=bool)] = MISSING
    return hashes[codes]


def _groups(units: np.ndarray) -> tuple[np.ndarray, np.ndarray, np.ndarray]:
    """(order sorting ``units``, the first sorted position of each distinct unit, the
    distinct units, sorted)."""
    order = np.argsort(units, kind="stable")
    ordered = units[order]
    if len(ordered) == 0:
        return order, np.zeros(0, dtype=np.intp), ordered
    starts = np.flatnonzero(np.r_[True, ordered[1:] != ordered[:-1]])
    return order, starts, ordered[starts]


def _fold_column(values: np.ndarray, order: np.ndarray, starts: np.ndarray) -> np.ndarray:
    """Per group (:func:`_groups`): the value if all its rows agree, else :data:`VARIES`
    (larger than every hash, so a group holding it varies)."""
    if len(starts) == 0:
        return np.zeros(0, dtype=np.uint64)
    values = values[order]
    low = np.minimum.reduceat(values, starts)
    high = np.maximum.reduceat(values, starts)
    return np.where(low == high, low, VARIES)


def _fold(
    units: np.ndarray, columns: Sequence[Callable[[], np.ndarray]]
) -> tuple[np.ndarray, np.ndarray]:
    """Distinct ``units`` (sorted) and per column (each made when it is folded, so memory
    holds one column of rows at a time) the values their rows agree on, else VARIES."""
    order, starts, distinct = _groups(units)
    out = np.empty((len(distinct), len(columns)), dtype=np.uint64)
    for j, column in enumerate(columns):
        out[:, j] = _fold_column(column(), order, starts)
    return distinct, out


@dataclass(frozen=True)
class PersonValues:
    """Per person (sorted unit hashes): each column's value hash while the person's rows
    agree on it, else :data:`VARIES`. Memory 8 bytes per person and column.

    Parts of the rows merge into all of them (a person's rows may span chunks):

    >>> df = pd.DataFrame({"p": ["a", "a", "b", "b"], "race": ["x", "x", "y", "y"],
    ...                    "age": ["1", "2", "3", "3"]})
    >>> whole = PersonValues.of(df, "p", ["race", "age"])
    >>> parts = PersonValues.merge([PersonValues.of(df.iloc[:1], "p", ["race", "age"]),
    ...                             PersonValues.of(df.iloc[1:], "p", ["race", "age"])])
    >>> bool((whole.values == parts.values).all()), whole.varying().tolist()
    (True, [0, 1])
    """

    columns: tuple[str, ...]
    units: np.ndarray
    values: np.ndarray

    @classmethod
    def of(cls, df: pd.DataFrame, unit: str, columns: Sequence[str]) -> PersonValues:
        """From rows of ``df`` (rows with no unit value belong to no person)."""
        units = _row_hashes(df[unit])
        rows = units != MISSING
        made = [lambda col=col: _row_hashes(df[col])[rows] for col in columns]
        distinct, folded = _fold(units[rows], made)
        return cls(tuple(columns), distinct, folded)

    @classmethod
    def merge(cls, parts: Sequence[PersonValues]) -> PersonValues:
        """The person values of the union of the parts' rows (same columns in each)."""
        columns = parts[0].columns
        if any(p.columns != columns for p in parts):
            raise ValueError("person values of different columns do not merge")
        if len(parts) == 1:
            return parts[0]
        made = [
            lambda j=j: np.concatenate([p.values[:, j] for p in parts]) for j in range(len(columns))
        ]
        units, values = _fold(np.concatenate([p.units for p in parts]), made)
        return cls(columns, units, values)

    def varying(self) -> np.ndarray:
        """Per column, the persons whose rows do not agree on it."""
        return (self.values == VARIES).sum(axis=0)

    def keep(self, columns: Collection[str]) -> PersonValues:
        """Only ``columns`` (to stop tracking columns that can no longer be static)."""
        idx = [j for j, c in enumerate(self.columns) if c in columns]
        return PersonValues(tuple(self.columns[j] for j in idx), self.units, self.values[:, idx])

    def still_possible(self, repeated: int) -> list[str]:
        """Columns that may still be static once every row is merged: varying persons only
        grow, so a column already varying for too many of the ``repeated`` persons (those
        with more than one row, :attr:`KeyCounts.repeated`) never is."""
        limit = (1.0 - STATIC_SHARE) * repeated
        return [c for c, v in zip(self.columns, self.varying(), strict=True) if v <= limit]


def static_columns(people: PersonValues, unit: KeyCounts) -> list[str]:
    """The columns constant within person (from every row: ``people`` and the unit's
    ``KeyCounts`` over the same rows).

    Static: constant for at least :data:`STATIC_SHARE` of the persons with more than one
    row, and beyond chance: two persons' values differ (``spread``, persons paired in
    hash order, which is random) at least :data:`STATIC_MIN_SPREAD` of the time and
    :data:`STATIC_CONTRAST` times as often as a person's rows differ.
    """
    if len(people.units) != unit.distinct or not np.array_equal(people.units, unit.hashes):
        raise ValueError("person values and key counts describe different rows")
    several = unit.counts > 1
    if not several.any():
        return []
    out: list[str] = []
    for j, col in enumerate(people.columns):
        v = people.values[:, j]
        within = float((v[several] == VARIES).mean())
        a, b = v[:-1], v[1:]
        both = (a != VARIES) & (b != VARIES)
        spread = float((a[both] != b[both]).mean()) if both.any() else 0.0
        if (
            within <= 1.0 - STATIC_SHARE
            and spread >= STATIC_MIN_SPREAD
            and within * STATIC_CONTRAST <= spread
        ):
            out.append(col)
    return out


def mark_static(findings: Sequence[Finding], static: Collection[str]) -> list[Finding]:
    """The findings with :data:`STATIC_EVIDENCE` added to the static columns'."""
    return [
        replace(f, evidence=[*f.evidence, STATIC_EVIDENCE]) if f.name in static else f
        for f in findings
    ]
