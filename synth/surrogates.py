"""Fresh surrogate values for identifier columns, in the original format.

Surrogates never come from the data. Where a reserved range exists they are drawn
from it, so a surrogate can never equal a real identifier: SSNs use area 9xx
(never issued), phone numbers the fictional 555-01xx block, e-mails the reserved
``example.org``/``example.net`` domains. Names and streets come from Faker.

>>> s = make_surrogates("US_SSN", 3, seed=1)
>>> all(v.startswith("9") and len(v) == 11 for v in s)
True
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


def make_surrogates(
    entity: str | None, n: int, seed: int, shape: str | None = None, unique: bool = True
) -> list[str]:
    rng = np.random.default_rng(seed)
    fake = Faker("en_US")
    fake.seed_instance(seed)
    ent = (entity or "").upper()

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


def surrogate_series(entity: str | None, n: int, seed: int, shape: str | None) -> pd.Series:
    return pd.Series(make_surrogates(entity, n, seed, shape), dtype=object)
