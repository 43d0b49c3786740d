"""Fresh surrogate values for identifier columns, in the original format.

Surrogates never come from the data. Where a reserved range exists they are drawn
from it, so a surrogate can never equal a real identifier: SSNs use area 9xx
(never issued), phone numbers the fictional 555-01xx block, e-mails the reserved
``example.org``/``example.net`` domains. Names and streets come from Faker.

**Numeric identifiers** (the schema declares a shape of digits only, e.g. ``#########``
for diabetes130's ``patient_nbr``, as the scan drafts it for a column of whole numbers) get
numeric surrogates of that length: a ``0`` and then random digits. The decimal text of a
whole number never begins with 0, so no surrogate can equal a real identifier, by
construction. Nothing about the column is read from the real rows at fit time: the shape is
the schema's, a public declaration like the column's type. A reader that parses the column
as a number drops the zero and may then meet a shorter real identifier: keep the column as
text (Parquet output stores it as text). When the length leaves fewer than twice as many
values as rows are needed, the surrogates are longer (say so: :func:`numeric_construction`).

>>> s = make_surrogates("US_SSN", 3, seed=1)
>>> all(v.startswith("9") and len(v) == 11 for v in s)
True
>>> make_surrogates("MEDICAL_RECORD_NUMBER", 3, seed=1, shape="########")[0][:1]
'0'
"""

from __future__ import annotations

import re

import numpy as np
import pandas as pd
from faker import Faker

_DIGITS = np.array(list("0123456789"))
_LETTERS = np.array(list("ABCDEFGHIJKLMNOPQRSTUVWXYZ"))


def from_shape(shape: str, n: int, rng: np.random.Generator) -> list[str]:
    """Fill a masked shape: ``#`` → digit, ``A`` → capital letter, others kept."""
    out = []
    for _ in range(n):
        chars = []
        for ch in shape:
            if ch == "#":
                chars.append(str(rng.integers(10)))
            elif ch == "A":
                chars.append(str(_LETTERS[rng.integers(26)]))
            else:
                chars.append(ch)
        out.append("".join(chars))
    return out


def _unique(gen, n: int, attempts: int = 20) -> list[str]:
    seen: set[str] = set()
    out: list[str] = []
    for _ in range(attempts):
        for v in gen(n - len(out)):
            if v not in seen:
                seen.add(v)
                out.append(v)
        if len(out) >= n:
            break
    return out[:n] + [f"{out[i % max(1, len(out))]}" for i in range(n - len(out))]


#: entities whose own reserved range wins over the numeric construction
RESERVED_ENTITIES = frozenset({"US_SSN", "PHONE_NUMBER", "EMAIL_ADDRESS"})


def surrogate_length(n: int, length: int) -> int:
    """The surrogate length: the column's, unless ``0`` + (length − 1) digits leaves fewer
    than 2·n values (or length < 2), then the shortest length that does."""
    need = max(2 * n, 10)
    out = max(2, int(length))
    while 10 ** (out - 1) < need:
        out += 1
    return out


def numeric_construction(length: int, n: int) -> str:
    """In words, how the numeric surrogates of a column are made (for the report's JSON)."""
    used = surrogate_length(n, length)
    longer = "" if used == length else f" (lengthened from {length} to give {n:,} distinct)"
    return (
        f"digits, length {used}{longer}, first digit 0: the text of a whole number never "
        "begins with 0, so no surrogate equals a real identifier (keep the column as text)"
    )


def digit_length(shape: str | None) -> int | None:
    """The length of a declared shape of digits only (``########``), else None.

    >>> digit_length("#########"), digit_length("MRN-####"), digit_length(None)
    (9, None, None)
    """
    return len(shape) if shape and set(shape) == {"#"} else None


def numeric_surrogates(n: int, length: int, rng: np.random.Generator) -> list[str]:
    """``n`` distinct digit strings of :func:`surrogate_length` characters, each ``0`` then
    random digits."""
    used = surrogate_length(n, length)
    space = 10 ** (used - 1)
    if space <= 2**62:
        picks = rng.choice(space, size=n, replace=False) if n else np.zeros(0, dtype=np.int64)
        return [f"0{int(v):0{used - 1}d}" for v in picks]
    seen: set[str] = set()
    while len(seen) < n:  # long identifiers: draw digit by digit (collisions ~impossible)
        seen.update("0" + "".join(map(str, rng.integers(0, 10, used - 1))) for _ in range(n))
    return list(seen)[:n]


def make_surrogates(
    entity: str | None,
    n: int,
    seed: int,
    shape: str | None = None,
    unique: bool = True,
) -> list[str]:
    """``n`` surrogates for a column of ``entity``: its reserved range, the numeric
    construction for a declared shape of digits only, the ``shape`` the schema declares;
    else ``S`` and nine digits."""
    rng = np.random.default_rng(seed)
    ent = (entity or "").upper()
    digits = digit_length(shape)
    if digits is not None and ent not in RESERVED_ENTITIES:
        return numeric_surrogates(n, digits, rng)
    fake = Faker("en_US")
    fake.seed_instance(seed)

    def gen(m: int) -> list[str]:
        if ent in {"PERSON", "NAME", "FULL_NAME"}:
            return [f"{fake.first_name()} {fake.last_name()}" for _ in range(m)]
        if ent == "FIRST_NAME":
            return [fake.first_name() for _ in range(m)]
        if ent == "LAST_NAME":
            return [fake.last_name() for _ in range(m)]
        if ent == "US_SSN":
            return from_shape("9##-##-####", m, rng)
        if ent == "PHONE_NUMBER":
            return from_shape(_phone_shape(shape), m, rng)
        if ent == "EMAIL_ADDRESS":
            return [
                f"{fake.first_name().lower()}.{fake.last_name().lower()}"
                f"{rng.integers(100, 10_000)}@example.{('org', 'net')[rng.integers(2)]}"
                for _ in range(m)
            ]
        if ent in {"STREET_ADDRESS", "ADDRESS", "LOCATION"}:
            return [fake.street_address() for _ in range(m)]
        if ent in {"DATE_TIME", "DATE_OF_BIRTH"}:
            return [
                fake.date_of_birth(minimum_age=18, maximum_age=95).isoformat() for _ in range(m)
            ]
        if shape:
            return from_shape(shape, m, rng)
        return from_shape("S#########", m, rng)

    return _unique(gen, n) if unique else gen(n)


def _phone_shape(shape: str | None) -> str:
    """Keep the layout of the real numbers, put the fictional 555-01## exchange in it."""
    if shape and shape.count("#") == 10:
        digits = "###55501##"
        it = iter(digits)
        return re.sub("#", lambda _m: next(it), shape)
    return "(###) 555-01##"


def surrogate_series(
    entity: str | None,
    n: int,
    seed: int,
    shape: str | None,
) -> pd.Series:
    return pd.Series(make_surrogates(entity, n, seed, shape), dtype=object)
