"""Header rules: what a column's name says (``rules/headers.yaml``), held to its values.

A rule matches the normalised column name; a rule with ``needs`` holds only when the
sampled values look like what it claims (dates, names, keys, postcodes).
"""

from __future__ import annotations

import re
from dataclasses import dataclass
from functools import lru_cache
from pathlib import Path

import yaml

from privacy.profile import Profile
from privacy.shapes import (
    POSTCODES,
    decimal_share,
    key_share,
    name_shape_share,
    name_share,
)

RULES = Path(__file__).parent / "rules"


@dataclass(frozen=True)
class HeaderRule:
    pattern: re.Pattern[str]
    entity: str | None
    role: str
    action: str
    type: str | None
    hipaa: str | None
    generalise: str | None
    when_type: str | None
    needs: str | None = None
    #: what the column holds, in words, for the evidence ("race or ethnicity")
    kind: str | None = None


@lru_cache(maxsize=1)
def header_rules() -> list[HeaderRule]:
    doc = yaml.safe_load((RULES / "headers.yaml").read_text())
    return [
        HeaderRule(
            pattern=re.compile(r["match"]),
            entity=r.get("entity"),
            role=r["role"],
            action=r["action"],
            type=r.get("type"),
            hipaa=r.get("hipaa"),
            generalise=r.get("generalise"),
            when_type=r.get("when_type"),
            needs=r.get("needs"),
            kind=r.get("kind"),
        )
        for r in doc["rules"]
    ]


def normalise_header(name: str) -> str:
    s = re.sub(r"([a-z0-9])([A-Z])", r"\1_\2", str(name))
    return "_".join(t for t in re.split(r"[^a-zA-Z0-9]+", s.lower()) if t)


def _needs_ok(needs: str | None, values: list[str], p: Profile, inferred: str) -> bool:
    """Do the values look like what the header rule claims?"""
    if needs is None:
        return True
    if needs == "date":
        return inferred == "datetime"
    if needs == "name":
        if p.mean_words > 4 or p.digit_share >= 0.5:
            return False
        lexicon = name_share(values)
        # a name header plus name-shaped values needs less lexicon support (foreign names)
        return lexicon >= 0.5 or (lexicon >= 0.25 and name_shape_share(values) >= 0.9)
    if needs == "key":
        present = p.rows - p.missing
        return (
            p.distinct >= min(20, max(2, present // 2))
            and inferred not in ("datetime", "text")
            and decimal_share(values) < 0.5
            and key_share(values) >= 0.8
        )
    if needs == "postcode":
        shaped = sum(
            1 for v in values if any(rx.match(" ".join(v.split())) for rx in POSTCODES.values())
        )
        return bool(values) and shaped >= 0.8 * len(values)
    return True


def match_header(
    name: str,
    inferred_type: str,
    values: list[str] | None = None,
    p: Profile | None = None,
) -> HeaderRule | None:
    """First header rule whose pattern matches and whose value check (if any) holds."""
    norm = normalise_header(name)
    for rule in header_rules():
        if rule.when_type and rule.when_type != inferred_type:
            continue
        if not rule.pattern.search(norm):
            continue
        if (
            rule.needs
            and p is not None
            and not _needs_ok(rule.needs, values or [], p, inferred_type)
        ):
            continue
        return rule
    return None
