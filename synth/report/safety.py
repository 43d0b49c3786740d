"""Defence in depth: no value of an identifying column may reach the report.

The report is built from aggregates and never copies values of ``direct_identifier`` or
``free_text`` columns. As a last check, every string in the finished report (and every
figure label) is compared with the real values of those columns: a string that equals
one, or holds one as a run of up to four words, is replaced by ``[withheld]``.
"""

from __future__ import annotations

import re
from typing import Any

import pandas as pd

from synth.schema.model import Role, Schema

WITHHELD = "[withheld]"
#: shorter values ("M", "12") are too common to be identifying as report strings
MIN_LENGTH = 5
MAX_WORDS = 4
_STRIP = re.compile(r"^[\s\"'(\[{<,;:.]+|[\s\"')\]}>,;:.]+$")


class Scrubber:
    def __init__(self, values: set[str]) -> None:
        self.values = values
        self.hits = 0

    @classmethod
    def from_tables(cls, schema: Schema, tables: list[pd.DataFrame | None]) -> Scrubber:
        roles = (Role.DIRECT_IDENTIFIER.value, Role.FREE_TEXT.value)
        names = [c.name for c in schema.columns if c.role in roles]
        values: set[str] = set()
        for t in tables:
            if t is None:
                continue
            for n in names:
                if n in t.columns:
                    s = t[n].dropna().astype(str).str.strip()
                    values.update(v for v in s.unique() if len(v) >= MIN_LENGTH)
        return cls(values)

    def leaks(self, text: str) -> bool:
        if not self.values or len(text) < MIN_LENGTH:
            return False
        if text.strip() in self.values:
            return True
        words = text.split()
        for i in range(len(words)):
            for j in range(i + 1, min(len(words), i + MAX_WORDS) + 1):
                chunk = " ".join(words[i:j])
                if chunk in self.values or _STRIP.sub("", chunk) in self.values:
                    return True
        return False

    def text(self, text: str) -> str:
        if self.leaks(text):
            self.hits += 1
            return WITHHELD
        return text

    def tree(self, value: Any) -> Any:
        if isinstance(value, dict):
            return {
                self.text(k) if isinstance(k, str) else k: self.tree(v) for k, v in value.items()
            }
        if isinstance(value, list):
            return [self.tree(v) for v in value]
        if isinstance(value, str):
            return self.text(value)
        return value
