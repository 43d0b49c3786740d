"""Column classification: header rules + Presidio over sampled values + shape statistics.

Each column gets a type, a role, an entity, a confidence, the evidence, the HIPAA
Safe Harbor class where one applies, and a proposed action. The result is a
*draft* schema for the steward to review. The draft records structure only
(types, date formats, decimal places, identifier shapes such as ``###-##-####``);
it never copies category lists or bounds from the data, since those would leak
outside the DP guarantee. Nothing here prints or stores a real value.
"""

from __future__ import annotations

import re
import time
from dataclasses import asdict, dataclass, field, replace
from functools import lru_cache
from pathlib import Path
from typing import Any

import numpy as np
import pandas as pd
import yaml

from privacy.nlp import build_analyzer, engine_name
from privacy.profile import ColumnTotals, Profile, profile
from privacy.recognizers import ENTITIES
from privacy.shapes import (
    decimal_share,
    geo_precision,
    key_share,
    name_shape_share,
    name_share,
    opaque_share,
)
from synth.schema.model import Column, Dataset, Domain, Schema

RULES = Path(__file__).parent / "rules"

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
SAMPLE_VALUES = 100
SAMPLE_TEXTS = 200


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


@dataclass(frozen=True)
class Finding:
    name: str
    type: str
    role: str
    entity: str | None
    confidence: float
    action: str
    evidence: list[str]
    hipaa: str | None = None
    generalise: str | None = None
    format: str | None = None
    precision: int | None = None
    text_entities: dict[str, int] = field(default_factory=dict)
    profile: dict[str, Any] = field(default_factory=dict)
    #: free text only, from a scan of every row (``scan_source``): spans per entity type
    #: and rows with at least one span; None when only a sample was analysed
    text_entities_all_rows: dict[str, int] | None = None
    text_rows_with_pii: int | None = None

    def to_dict(self) -> dict[str, Any]:
        out = asdict(self)
        out["profile"] = {k: v for k, v in self.profile.items() if k not in {"max_value"}}
        for key in ("text_entities_all_rows", "text_rows_with_pii"):
            if out[key] is None:
                del out[key]
        return out


@dataclass(frozen=True)
class ScanResult:
    source: str
    rows: int
    findings: list[Finding]
    schema: Schema
    nlp_engine: str
    seconds: float
    #: how a chunked scan read the table (sample size, what is exact, what is estimated)
    method: dict[str, Any] | None = None

    def to_dict(self) -> dict[str, Any]:
        from synth.schema.io import schema_to_dict

        out = {
            "source": self.source,
            "rows": self.rows,
            "nlp_engine": self.nlp_engine,
            "seconds": round(self.seconds, 3),
            "columns": [f.to_dict() for f in self.findings],
            "summary": summarise(self.findings),
            "schema": schema_to_dict(self.schema),
        }
        if self.method is not None:
            out["scan_method"] = self.method
        return out


def summarise(findings: list[Finding]) -> dict[str, Any]:
    roles: dict[str, int] = {}
    for f in findings:
        roles[f.role] = roles.get(f.role, 0) + 1
    text: dict[str, int] = {}
    for f in findings:
        for ent, c in f.text_entities.items():
            text[ent] = text.get(ent, 0) + c
    out: dict[str, Any] = {"roles": roles, "free_text_entities": text}
    if any(f.text_entities_all_rows is not None for f in findings):
        every: dict[str, int] = {}
        for f in findings:
            for ent, c in (f.text_entities_all_rows or {}).items():
                every[ent] = every.get(ent, 0) + c
        out["free_text_entities_all_rows"] = dict(sorted(every.items()))
    return out


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
        )
        for r in doc["rules"]
    ]


@lru_cache(maxsize=1)
def clinical_codes() -> tuple[float, list[tuple[str, re.Pattern[str], re.Pattern[str] | None]]]:
    doc = yaml.safe_load((RULES / "clinical_codes.yaml").read_text())
    codes = [
        (c["name"], re.compile(c["regex"]), re.compile(c["header"]) if c.get("header") else None)
        for c in doc["codes"]
    ]
    return float(doc["min_share"]), codes


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


def infer_type(p: Profile) -> str:
    if p.rows == p.missing:
        return "categorical"
    if p.mean_words >= 4 and p.unique_ratio > 0.3:
        return "text"
    if p.date_format is not None and p.date_share >= 0.95:
        return "datetime"
    if p.numeric_share >= 0.95 and p.leading_zero_share < 0.05:
        if p.integer_share >= 0.95 and p.distinct <= 12:
            return "categorical"
        # unique fixed-width integers are keys; unique variable-width ones are measurements
        # (weights, amounts) unless the column name says otherwise
        if (
            p.integer_share >= 0.95
            and p.unique_ratio >= 0.95
            and p.distinct > 100
            and p.top_shape_share >= 0.9
        ):
            return "identifier"
        return "numerical"
    if p.unique_ratio >= 0.95 and p.distinct > 100 and p.mean_words <= 2:
        return "identifier"
    return "categorical"


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
    analyzer = build_analyzer()
    counts: dict[str, int] = {}
    for t in texts:
        for r in analyzer.analyze(t, language="en", entities=ENTITIES):
            if r.score >= 0.4:
                counts[r.entity_type] = counts.get(r.entity_type, 0) + 1
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
#: decimals of a coordinate that make it a home location (4 decimals ≈ 11 m)
GEO_DIRECT_DECIMALS = 4


def _sample_values(series: pd.Series, rng: np.random.Generator) -> tuple[pd.Series, list[str]]:
    present = series.dropna().astype(str)
    present = present[present.str.strip() != ""]
    uniq = pd.unique(present)
    pick = rng.choice(len(uniq), min(SAMPLE_VALUES, len(uniq)), replace=False) if len(uniq) else []
    return present, [str(uniq[i]) for i in sorted(pick)]


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


def classify(
    name: str,
    series: pd.Series,
    rng: np.random.Generator,
    *,
    totals: ColumnTotals | None = None,
) -> Finding:
    """Classify one column. ``totals``: whole-column counts when ``series`` is a row
    sample of a larger column (rows, missing, distinct values, numeric maximum)."""
    p = profile(series, rng)
    if totals is not None:
        p = totals.apply(p)
    inferred = infer_type(p)
    norm = normalise_header(name)
    present, values = _sample_values(series, rng)
    rule = match_header(name, inferred, values, p)
    evidence: list[str] = [
        f"{p.distinct} distinct of {p.rows - p.missing} present ({p.unique_ratio:.0%} unique)"
    ]
    if p.top_shape and p.digit_share > 0.5 and p.top_shape_share >= 0.5:
        evidence.append(f"shape {p.top_shape} in {p.top_shape_share:.0%} of sampled values")
    if rule is not None:
        evidence.append(f"column name matches the '{rule.entity or rule.role}' rule")
        if rule.needs:
            evidence.append(f"values confirm the rule ({rule.needs}-shaped)")

    fmt = p.date_format

    # 1. free text
    if inferred == "text":
        texts = [
            str(present.iloc[i])
            for i in sorted(
                rng.choice(len(present), min(SAMPLE_TEXTS, len(present)), replace=False)
            )
        ]
        text_entities = _text_entities(texts)
        found = sum(text_entities.values())
        evidence.append(
            f"free text, mean {p.mean_words:.0f} words; Presidio found {found} PII "
            f"span(s) in {len(texts)} sampled notes"
        )
        return _finding(
            name,
            "text",
            "free_text",
            "FREE_TEXT",
            0.9 if found else 0.7,
            "redact",
            evidence,
            p,
            text_entities=text_entities,
        )

    # 2. clinical codes are never identifiers
    code = _clinical(values, norm)
    if code is not None and (rule is None or rule.role != "direct_identifier"):
        evidence.append(f"values are {code} codes (not an identifier)")
        return _finding(
            name, "categorical", "sensitive", f"CLINICAL_CODE:{code}", 0.9, "keep", evidence, p
        )

    # 3. coordinates: a home location when precise, an area when rounded
    if rule is not None and rule.entity == "GEO_COORDINATE":
        decimals = geo_precision(values, 180.0)
        if decimals is None:
            rule = None
        elif decimals < GEO_DIRECT_DECIMALS:
            evidence.append(f"coordinates rounded to {decimals} decimals: an area, not a place")
            return _finding(
                name,
                inferred,
                "quasi_identifier",
                "GEO_COORDINATE",
                0.7,
                "keep",
                evidence,
                p,
                hipaa=rule.hipaa,
            )
        else:
            evidence.append(f"coordinates with {decimals} decimals (≈ a single address)")

    # 4. Presidio over sampled distinct values (validated entities)
    direct = _direct_values(values, norm, p, inferred, rule)
    if direct:
        if rule is not None and rule.entity in direct:
            ent = str(rule.entity)
            share, score = direct[ent]
        else:
            ent, (share, score) = max(direct.items(), key=lambda kv: kv[1][0] * kv[1][1])
        evidence.append(
            f"Presidio {ent} on {share:.0%} of {len(values)} sampled values "
            f"(mean score {score:.2f})"
        )
        agrees = rule is not None and rule.entity == ent
        conf = min(0.99, share * max(score, 0.5) + (0.3 if agrees else 0.0))
        shape = p.top_shape if p.top_shape_share >= 0.9 and p.digit_share > 0.5 else None
        return _finding(
            name,
            "identifier",
            "direct_identifier",
            ent,
            max(conf, 0.6),
            "replace",
            evidence,
            p,
            hipaa=DIRECT_ENTITIES[ent],
            fmt=shape,
        )

    # 5. the column name, confirmed by the values where the rule asks for it
    if rule is not None and rule.role == "direct_identifier":
        typ = rule.type or inferred
        action = rule.action
        gen = rule.generalise
        if typ == "datetime" and inferred != "datetime":
            action, gen, typ = "drop", None, inferred if inferred != "numerical" else "identifier"
        if typ in ("numerical", "categorical") and action == "replace":
            typ = "identifier"
        if rule.entity == "GEO_COORDINATE":
            typ = "numerical"
        shape = p.top_shape if p.top_shape_share >= 0.9 and p.digit_share > 0.5 else None
        return _finding(
            name,
            typ,
            "direct_identifier",
            rule.entity,
            0.95 if rule.needs else 0.9,
            action,
            evidence,
            p,
            hipaa=rule.hipaa,
            generalise=gen,
            fmt=fmt if typ == "datetime" else shape,
        )

    # 6. names with no name in the header: most values are lexicon names (digits stripped)
    specific_rule = rule is not None and rule.entity is not None
    if (
        rule is None
        and inferred in ("categorical", "identifier")
        and p.distinct >= 30
        and p.mean_words <= 4
        and name_share(values) >= 0.8
    ):
        evidence.append(f"{name_share(values):.0%} of sampled values are lexicon names")
        return _finding(
            name,
            "identifier",
            "direct_identifier",
            "PERSON",
            0.8,
            "replace",
            evidence,
            p,
            hipaa="Names",
        )

    # 7. keys with no entity: unique per row, or opaque machine keys (UUID, hex, tokens)
    specific_rule = rule is not None and rule.entity is not None
    opaque = opaque_share(values) >= 0.9 and p.distinct >= 20
    if not specific_rule and (inferred == "identifier" or opaque):
        evidence.append(
            "unique per row with an id-like shape"
            if inferred == "identifier"
            else f"opaque machine keys (UUID/hex/token) in {opaque_share(values):.0%} of values"
        )
        shape = p.top_shape if p.top_shape_share >= 0.9 else None
        return _finding(
            name, "identifier", "direct_identifier", "ID", 0.75, "replace", evidence, p, fmt=shape
        )

    # 8. quasi-identifiers and sensitive attributes by name
    if rule is not None:
        typ = inferred if inferred != "identifier" else "categorical"
        action, gen = rule.action, rule.generalise
        hipaa = rule.hipaa
        if rule.entity == "AGE" and p.max_value is not None and p.max_value > 89:
            action, gen = "generalise", "top_code_89"
            evidence.append("ages above 89 present (HIPAA): top-code at 90")
        elif rule.entity == "AGE" and any(re.match(r"^\W*(9\d|1\d\d)\D", v) for v in values):
            evidence.append("an age band above 89 present (HIPAA: ages over 89 are identifying)")
        if gen == "zip3":
            typ = "categorical"
        if rule.entity == "ORGANIZATION_KEY":
            evidence.append("key of an organisation, not of a person")
        return _finding(
            name,
            typ,
            rule.role,
            rule.entity,
            0.8,
            action,
            evidence,
            p,
            hipaa=hipaa,
            generalise=gen,
            fmt=fmt,
        )
    if inferred == "datetime":
        return _finding(
            name,
            "datetime",
            "quasi_identifier",
            "DATE_TIME",
            0.6,
            "keep",
            evidence,
            p,
            hipaa="Dates (except year) directly related to an individual",
            fmt=fmt,
        )
    return _finding(name, inferred, "other", None, 0.5, "keep", evidence, p)


#: header words that say what a date is (an event, a record time): such a column is left
#: to its name; only a column whose header says nothing is judged a birth date by values
_EVENT_WORDS = re.compile(
    r"start|stop|end|begin|admi|adm|disch|visit|encounter|service|onset|death|died|deceased"
    r"|creat|updat|modif|time|stamp|event|order|result|collect|sched|appoint|enrol|effective"
    r"|expir|issue|valid|last|first|since|until|from|to_|due|paid|claim|proced|test|exam|year"
)
#: a birth-date column: ages (years from it to the row's other dates, or to today) spread
#: over at least this many years between the 5th and 95th percentile
DOB_MIN_AGE_SPREAD = 20.0
DOB_MAX_AGE = 120.0
#: share of rows where it must precede every other date column of the row
DOB_EARLIER_SHARE = 0.99
DOB_ROWS = 20_000


def _header_silent(name: str) -> bool:
    norm = normalise_header(name)
    return _EVENT_WORDS.search(norm) is None


def _parse_dates(series: pd.Series, fmt: str | None) -> pd.Series:
    s = series.astype("string").str.strip()
    if fmt:
        return pd.to_datetime(s, format=fmt, errors="coerce")
    return pd.to_datetime(s, format="mixed", errors="coerce")


def birth_date_evidence(
    data: pd.DataFrame, col: str, others: list[str], formats: dict[str, str | None]
) -> str | None:
    """Why ``col`` holds dates of birth, or None when its values do not say so.

    A date of birth precedes every other date of its row, lies in the past, and the
    ages it implies (years from it to the row's other dates, or to today when the
    table has no other date) spread over decades, as ages of a population do. Event
    dates fail one of these: an admission follows the birth date, a discharge follows
    the admission by days, not decades. Only counts and years appear in the evidence.
    """
    rows = data if len(data) <= DOB_ROWS else data.sample(DOB_ROWS, random_state=0)
    dob = _parse_dates(rows[col], formats.get(col))
    present = dob.notna()
    if present.sum() < 20 or present.mean() < 0.9:
        return None
    today = pd.Timestamp.now().normalize()
    if (dob[present] > today).any():
        return None
    year = pd.Timedelta(days=365.25)
    earlier_than: list[str] = []
    ages: list[pd.Series] = []
    for other in others:
        when = _parse_dates(rows[other], formats.get(other))
        both = present & when.notna()
        if both.sum() < 20:
            continue
        gap = (when[both] - dob[both]) / year
        if (gap >= 0).mean() < DOB_EARLIER_SHARE:
            return None
        earlier_than.append(other)
        ages.append(gap)
    if not ages:
        ages = [(today - dob[present]) / year]
    age = pd.concat(ages)
    if (age > DOB_MAX_AGE).mean() > 0.01:
        return None
    spread = float(age.quantile(0.95) - age.quantile(0.05))
    if spread < DOB_MIN_AGE_SPREAD:
        return None
    against = (
        f"precedes {', '.join(earlier_than)} in ≥{DOB_EARLIER_SHARE:.0%} of rows"
        if earlier_than
        else "no other date column; ages counted to today"
    )
    return (
        f"header says nothing, values look like birth dates: all in the past, {against}, "
        f"implied ages spread over {spread:.0f} years (5th–95th percentile)"
    )


def _birth_dates(data: pd.DataFrame, findings: list[Finding]) -> list[Finding]:
    """Date columns with a silent header whose values are birth dates become DATE_OF_BIRTH."""
    dates = [f for f in findings if f.type == "datetime"]
    if not dates:
        return findings
    formats = {f.name: f.format for f in dates}
    out = []
    for f in findings:
        if f.type == "datetime" and f.entity == "DATE_TIME" and _header_silent(f.name):
            others = [d.name for d in dates if d.name != f.name]
            why = birth_date_evidence(data, f.name, others, formats)
            if why is not None:
                f = replace(
                    f,
                    role="direct_identifier",
                    entity="DATE_OF_BIRTH",
                    confidence=0.8,
                    action="generalise",
                    generalise="year",
                    hipaa="Dates (except year) directly related to an individual",
                    evidence=[*f.evidence, why],
                )
        out.append(f)
    return out


def _finding(
    name: str,
    typ: str,
    role: str,
    entity: str | None,
    conf: float,
    action: str,
    evidence: list[str],
    p: Profile,
    *,
    hipaa: str | None = None,
    generalise: str | None = None,
    fmt: str | None = None,
    text_entities: dict[str, int] | None = None,
) -> Finding:
    precision = p.precision if typ == "numerical" else None
    if typ == "datetime" and fmt is None:
        fmt = p.date_format
    return Finding(
        name=name,
        type=typ,
        role=role,
        entity=entity,
        confidence=round(conf, 3),
        action=action,
        evidence=evidence,
        hipaa=hipaa,
        generalise=generalise,
        format=fmt,
        precision=precision,
        text_entities=text_entities or {},
        profile=p.to_dict(),
    )


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


def scan(
    data: pd.DataFrame, *, name: str = "dataset", seed: int = 0, progress: Any = None
) -> ScanResult:
    """Classify every column of ``data`` and draft a schema."""
    from synth.errors import InputError

    if len(data.columns) == 0:
        raise InputError(f"{name}: table has no columns")
    if len(data) == 0:
        raise InputError(f"{name}: table has no rows")
    start = time.perf_counter()
    rng = np.random.default_rng(seed)
    findings = []
    total = len(data.columns)
    for i, col in enumerate(data.columns):
        findings.append(classify(str(col), data[col], rng))
        if progress is not None:
            progress("scanning columns", i + 1, total)
    findings = _birth_dates(data, findings)
    schema = draft_schema(findings, name, len(data))
    return ScanResult(
        source=name,
        rows=len(data),
        findings=findings,
        schema=schema,
        nlp_engine=engine_name(),
        seconds=time.perf_counter() - start,
    )
