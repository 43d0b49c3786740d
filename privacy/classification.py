"""Per-column classification: type, role, entity, confidence, evidence and action.

:func:`classify` combines the column's profile, its header rule and what its sampled
values say, in a fixed order of rules (street addresses by their values, free text unless
an identifier header holds, clinical codes, coordinates, value entities, the header,
lexicon names, keys, quasi-identifiers by name, then by their values).
"""

from __future__ import annotations

import re
from dataclasses import replace

import numpy as np
import pandas as pd

from privacy.findings import Finding
from privacy.header_rules import match_header, normalise_header
from privacy.profile import ColumnTotals, Profile, profile
from privacy.recognizers.address import address_share
from privacy.shapes import (
    POSTCODE_ENTITIES,
    coordinate_decimals,
    fixed_code_share,
    geo_precision,
    name_share,
    opaque_share,
    postcode_country,
    postcode_phrase,
)
from privacy.value_entities import DIRECT_ENTITIES, _clinical, _direct_values, _text_entities
from privacy.vocabularies import candidate_vocabulary, public_vocabulary, quasi_vocabulary

SAMPLE_VALUES = 100
SAMPLE_TEXTS = 200
#: a column with at most this many distinct values (and mostly repeats) shows the count
FEW_DISTINCT = 100
#: decimals of a coordinate that make it a home location (4 decimals ≈ 11 m)
GEO_DIRECT_DECIMALS = 4
#: share of sampled values that must be whole street addresses for an address column
ADDRESS_SHARE = 0.6
#: share of sampled values of one country's postcode shape for a postcode column by values
POSTCODE_SHARE = 0.9
#: postcode shapes specific enough to call a column with no postcode header
SPECIFIC_POSTCODES = ("GB", "CA", "NL", "IE")


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


def _sample_values(series: pd.Series, rng: np.random.Generator) -> tuple[pd.Series, list[str]]:
    present = series.dropna().astype(str)
    present = present[present.str.strip() != ""]
    uniq = pd.unique(present)
    pick = rng.choice(len(uniq), min(SAMPLE_VALUES, len(uniq)), replace=False) if len(uniq) else []
    return present, [str(uniq[i]) for i in sorted(pick)]


def classify(
    name: str,
    series: pd.Series,
    rng: np.random.Generator,
    *,
    totals: ColumnTotals | None = None,
) -> Finding:
    """Classify one column. ``totals``: whole-column counts when ``series`` is a row
    sample of a larger column (rows, missing, distinct values, numeric maximum)."""
    p = profile(series, rng, codes=False if totals is None else totals.codes)
    if totals is not None:
        p = totals.apply(p)
    inferred = infer_type(p)
    norm = normalise_header(name)
    present, values = _sample_values(series, rng)
    if inferred == "categorical" and p.distinct <= 64:  # the largest vocabulary has 51
        vocab = public_vocabulary(values)
        if vocab is not None:
            p = replace(p, vocabulary=tuple(vocab))
    if inferred == "categorical" and not p.vocabulary:
        candidates = candidate_vocabulary(values)
        if candidates is not None:
            p = replace(p, candidates=tuple(candidates))
    rule = match_header(name, inferred, values, p)
    # a share, not counts: the number of present values (or of distinct values of a key) is
    # the number of rows, which is private under the DP guarantee; few categories are shown
    share = f"{p.unique_ratio:.0%} of present values distinct"
    few = p.distinct <= FEW_DISTINCT and p.unique_ratio < 0.5
    evidence: list[str] = [f"{p.distinct} distinct values ({share})" if few else share]
    if p.vocabulary:
        evidence.append(
            f"values are the public vocabulary {'/'.join(p.vocabulary)}: drafted as its domain"
        )
    if p.candidates:
        evidence.append(
            f"most values come from a public list ({len(p.candidates)} values): drafted as "
            "candidate categories, the fit keeps those holding rows (under DP)"
        )
    if p.top_shape and p.digit_share > 0.5 and p.top_shape_share >= 0.5:
        evidence.append(f"shape {p.top_shape} in {p.top_shape_share:.0%} of sampled values")
    if rule is not None:
        evidence.append(f"column name matches the '{rule.kind or rule.entity or rule.role}' rule")
        if rule.needs:
            evidence.append(f"values confirm the rule ({rule.needs}-shaped)")

    fmt = p.date_format
    # letters-and-digits codes of mostly one shape, each on one row (licence, passport,
    # national insurance numbers): identifiers, even when spaces make them look like text
    coded = (
        p.distinct >= 20
        and p.unique_ratio >= 0.95
        and p.numeric_share < 0.5
        and inferred != "datetime"
        and fixed_code_share(values) >= 0.9
    )

    # 0. street addresses by their values, before the free-text test: an address with a
    # unit ("668 Blanda Parade Unit 56") has as many words as a short note
    if inferred in ("text", "categorical", "identifier") and p.numeric_share < 0.5:
        addresses = address_share(values)
        if addresses >= ADDRESS_SHARE and (rule is None or rule.role != "free_text"):
            evidence.append(
                f"{addresses:.0%} of sampled values are street addresses (building number, "
                "street name and street word, unit or postcode; several countries' formats)"
            )
            agrees = rule is not None and rule.entity == "STREET_ADDRESS"
            return _finding(
                name,
                "identifier",
                "direct_identifier",
                "STREET_ADDRESS",
                0.95 if agrees else min(0.9, 0.5 + addresses / 2),
                "replace",
                evidence,
                p,
                hipaa=DIRECT_ENTITIES["STREET_ADDRESS"],
            )

    # 1. free text, unless the header names an identifier or a quasi-identifier and the
    # values are short or confirm it: four-word names, "Lawrence  Massachusetts  US" as a
    # place of birth (an "email_body" of long sentences stays free text)
    named = (
        rule is not None
        and rule.role in ("direct_identifier", "quasi_identifier")
        and (rule.needs is not None or p.mean_words < 8)
    )
    if inferred == "text" and not named and not coded:
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

    # 3b. coordinates with no coordinate header: many decimals, one region
    if rule is None and inferred == "numerical" and p.unique_ratio >= 0.95 and p.distinct >= 20:
        decimals = coordinate_decimals(values)
        if decimals is not None:
            evidence.append(
                f"numbers with {decimals} decimals inside ±180, spread over less than 20 "
                "degrees and unique per row: coordinates of single places"
            )
            return _finding(
                name,
                "numerical",
                "direct_identifier",
                "GEO_COORDINATE",
                0.7,
                "drop",
                evidence,
                p,
                hipaa="Geographic subdivisions smaller than a state",
            )

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
        shape = identifier_shape(p)
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
        shape = identifier_shape(p)
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
    if not specific_rule and (inferred == "identifier" or opaque or coded):
        if inferred == "identifier":
            evidence.append("unique per row with an id-like shape")
        elif opaque:
            evidence.append(
                f"opaque machine keys (UUID/hex/token) in {opaque_share(values):.0%} of values"
            )
        else:
            evidence.append(
                "codes of letters and digits or grouped digits, each on one row (a document, "
                "national or account number)"
            )
        shape = p.top_shape if p.top_shape_share >= 0.9 else identifier_shape(p)
        return _finding(
            name, "identifier", "direct_identifier", "ID", 0.75, "replace", evidence, p, fmt=shape
        )

    # 8. postcodes by their shape: the header's country guess held to the values
    country, pc_share = postcode_country(values)
    zip_rule = rule is not None and rule.entity == "US_ZIP_CODE"
    if country is not None and (
        zip_rule or (rule is None and country in SPECIFIC_POSTCODES and pc_share >= POSTCODE_SHARE)
    ):
        entity = POSTCODE_ENTITIES.get(country, "POSTCODE")
        area = "first three digits" if country in ("US", "4-digit") else "postcode area"
        evidence.append(
            f"{pc_share:.0%} of sampled values are {postcode_phrase(country)}: "
            f"generalise to the {area}"
        )
        return _finding(
            name,
            "categorical",
            "quasi_identifier",
            entity,
            0.85 if zip_rule else 0.75,
            "generalise",
            evidence,
            p,
            hipaa="Geographic subdivisions smaller than a state (ZIP beyond 3 digits)",
            generalise="zip3",
        )

    # 9. quasi-identifiers and sensitive attributes by name
    if rule is not None:
        typ = inferred if inferred != "identifier" else "categorical"
        action, gen = rule.action, rule.generalise
        hipaa = rule.hipaa
        if rule.entity == "AGE" and p.max_value is not None and p.max_value > 89:
            action, gen = "generalise", "top_code_89"
            evidence.append("ages above 89 present (HIPAA): top-code at 90")
        elif rule.entity == "AGE" and p.max_value is not None and p.integer_share >= 0.95:
            evidence.append("whole numbers up to 89: ages in years")
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
    # 10. demographic quasi-identifiers by their values (race, marital status, title, sex)
    vocab = quasi_vocabulary(values) if inferred == "categorical" and p.distinct <= 60 else None
    if vocab is not None:
        kind, vshare = vocab
        evidence.append(f"{vshare:.0%} of distinct sampled values are {kind} categories")
        return _finding(name, "categorical", "quasi_identifier", None, 0.7, "keep", evidence, p)
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


def identifier_shape(p: Profile) -> str | None:
    """The shape drafted for an identifier column: its usual shape when ≥ 90 % of values
    share it and it is mostly digits; for whole numbers of varying length (diabetes130's
    ``patient_nbr``) the most common length as digits, so the output gets numeric
    surrogates of that length (``synth.surrogates``). A draft fact, reviewed with the
    schema (like the column's type), never read again at fit time."""
    digits_only = bool(p.top_shape) and set(p.top_shape) == {"#"}
    if digits_only and p.leading_zero_share > 0.0:
        # zero-padded codes: a shape of digits would give '0' + digits, which such codes
        # can equal; without a shape they get the letter-led default (never a real value)
        return None
    if p.top_shape and p.top_shape_share >= 0.9 and p.digit_share > 0.5:
        return p.top_shape
    if digits_only and p.digit_share >= 0.999:
        return p.top_shape
    return None


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
        missing_values=list(p.codes) if typ == "numerical" else [],
        categories=list(p.vocabulary) if typ == "categorical" and p.vocabulary else None,
        text_entities=text_entities or {},
        profile=p.to_dict(),
    )
