"""What the sampled values say: Presidio entities over distinct values and over free
text, and clinical codes (``rules/clinical_codes.yaml``). Counts and scores only.
"""

from __future__ import annotations

import re
from functools import lru_cache

import numpy as np
import yaml

from privacy.header_rules import RULES, HeaderRule
from privacy.nlp import build_analyzer
from privacy.profile import Profile
from privacy.recognizers import ENTITIES
from privacy.shapes import decimal_share, name_share

DIRECT_ENTITIES = {
    "US_SSN": "Social Security numbers",
    "EMAIL_ADDRESS": "Email addresses",
    "PHONE_NUMBER": "Telephone / fax numbers",
    "PERSON": "Names",
    "CREDIT_CARD": "Account numbers",
    "IBAN_CODE": "Account numbers",
    "IP_ADDRESS": "IP addresses",
    "URL": "Web URLs",
    "US_NPI": "Certificate/license numbers",
    "MEDICAL_RECORD_NUMBER": "Medical record / health plan / account numbers",
    "ID_DOCUMENT": "Certificate/license numbers",
    "STREET_ADDRESS": "Geographic subdivisions smaller than a state",
}
#: a value "is" an entity when one span covers this share of it and scores at least MIN_SCORE
COVER = 0.8
MIN_SCORE = 0.3
#: share of sampled values that must agree before the values alone decide
VALUE_SHARE = 0.6


@lru_cache(maxsize=1)
def clinical_codes() -> tuple[float, list[tuple[str, re.Pattern[str], re.Pattern[str] | None]]]:
    doc = yaml.safe_load((RULES / "clinical_codes.yaml").read_text())
    codes = [
        (c["name"], re.compile(c["regex"]), re.compile(c["header"]) if c.get("header") else None)
        for c in doc["codes"]
    ]
    return float(doc["min_share"]), codes


def _value_entities(values: list[str], context: list[str]) -> dict[str, tuple[float, float]]:
    """entity → (share of values it covers, mean score)."""
    analyzer = build_analyzer("blank")
    hits: dict[str, list[float]] = {}
    for v in values:
        res = analyzer.analyze(v, language="en", entities=ENTITIES, context=context)
        best: dict[str, float] = {}
        for r in res:
            if r.score >= MIN_SCORE and (r.end - r.start) >= COVER * len(v.strip()):
                best[r.entity_type] = max(best.get(r.entity_type, 0.0), r.score)
        for ent, score in best.items():
            hits.setdefault(ent, []).append(score)
    n = max(1, len(values))
    return {e: (len(s) / n, float(np.mean(s))) for e, s in hits.items()}


def _text_entities(texts: list[str]) -> dict[str, int]:
    """Spans per entity in sampled notes, as redaction finds them (same recognizers,
    threshold and overlap handling, NER included)."""
    from privacy.redaction import analyze_fast

    counts: dict[str, int] = {}
    for spans in analyze_fast(texts):
        for s in spans:
            counts[s.entity] = counts.get(s.entity, 0) + 1
    return counts


def _clinical(values: list[str], header: str) -> str | None:
    min_share, codes = clinical_codes()
    if not values:
        return None
    for name, rx, head in codes:
        if head is not None and not head.search(header):
            continue
        share = sum(1 for v in values if rx.match(v.strip())) / len(values)
        if share >= min_share:
            return name
    return None


#: value entities strong enough (validated / unambiguous) to override a non-direct header
STRONG_ENTITIES = {
    "US_SSN",
    "EMAIL_ADDRESS",
    "CREDIT_CARD",
    "IBAN_CODE",
    "IP_ADDRESS",
    "URL",
    "US_NPI",
}
_PHONE_PUNCT = re.compile(r"[()+\-. ]")


def _direct_values(
    values: list[str], norm: str, p: Profile, inferred: str, rule: HeaderRule | None
) -> dict[str, tuple[float, float]]:
    """Direct-identifier entities Presidio finds on most sampled values (validators applied)."""
    if inferred == "datetime" or (p.numeric_share >= 0.95 and decimal_share(values) >= 0.5):
        return {}  # dates and decimal numbers: checksum/phone patterns fire on their digits
    if inferred == "numerical" and p.integer_share < 0.95:
        return {}
    ents = _value_entities(values, [t for t in norm.split("_") if t])
    direct = {e: v for e, v in ents.items() if e in DIRECT_ENTITIES and v[0] >= VALUE_SHARE}
    header_direct = rule is not None and rule.role == "direct_identifier"
    if "PHONE_NUMBER" in direct and not (rule and rule.entity == "PHONE_NUMBER"):
        # a bare run of digits is a record number far more often than a phone number
        punct = sum(1 for v in values if _PHONE_PUNCT.search(v.strip())) / max(1, len(values))
        if punct < 0.5:
            direct.pop("PHONE_NUMBER")
    # single lexicon words (cities, categories) are weak: need most values name-shaped
    if (
        "PERSON" in direct
        and not header_direct
        and (rule is not None or p.distinct < 30 or name_share(values) < 0.8)
    ):
        direct.pop("PERSON")
    if rule is not None and not header_direct:
        direct = {e: v for e, v in direct.items() if e in STRONG_ENTITIES}
    if inferred == "categorical" and not header_direct:
        # a street address needs number + street + suffix on most values: specific enough
        keep = STRONG_ENTITIES | {"PERSON", "STREET_ADDRESS"}
        direct = {e: v for e, v in direct.items() if e in keep}
    return direct
