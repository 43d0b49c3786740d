"""Value-shape checks the scanner combines with header rules (counts only, no values kept).

>>> opaque_key("3f2b8c1e-9a4d-4c1e-8f3b-2a7d9e0c4b1a"), opaque_key("Kelly"), opaque_key("0x1f")
(True, False, False)
>>> strip_digits("Kelly604"), name_like("Kelly604"), name_like("Ms.")
('Kelly', True, False)
"""

from __future__ import annotations

import re

from privacy.recognizers.names import name_lexicon

_UUID = re.compile(
    r"^[0-9a-fA-F]{8}-?[0-9a-fA-F]{4}-?[0-9a-fA-F]{4}-?[0-9a-fA-F]{4}-?[0-9a-fA-F]{12}$"
)
_HEX = re.compile(r"^(?=.*\d)(?=.*[a-fA-F])[0-9a-fA-F]{12,64}$")
_TOKEN = re.compile(r"^(?=.*\d)(?=.*[A-Za-z])[A-Za-z0-9_\-]{10,64}$")
_CODE = re.compile(r"^(?=.*\d)[A-Za-z]{0,4}[-#: ]?\d[\d\-]{3,19}[A-Za-z]?$")
#: capitalised words of letters in any script ("Kelly604", "Adélaïde", "Jean-Pierre")
_UP = r"(?:(?=[^\W\d_])[^a-zß-ÿ])"
_LETTERS = r"(?:[^\W\d_]|['\-])"
_NAME = re.compile(rf"^{_UP}{_LETTERS}+\d*(?:,? {_UP}(?:{_LETTERS}|\.)*\d*){{0,3}}$")
_DECIMAL = re.compile(r"^[+-]?\d+\.\d+$")


def opaque_key(value: str) -> bool:
    """A machine-made key: UUID, long hex, or a long letters-and-digits token."""
    v = value.strip()
    return bool(_UUID.match(v) or _HEX.match(v) or _TOKEN.match(v))


def record_number(value: str) -> bool:
    """A record/document number: digits, optionally with a short letter prefix/suffix;
    digits may come in groups ("943 476 5919", "ZZ 91 41 77 T")."""
    v = value.strip()
    return bool(_CODE.match(v) or _CODE.match(re.sub(r"(?<=[\dA-Za-z]) (?=[\dA-Za-z])", "", v)))


def key_share(values: list[str]) -> float:
    if not values:
        return 0.0
    return sum(1 for v in values if opaque_key(v) or record_number(v)) / len(values)


def opaque_share(values: list[str]) -> float:
    return sum(1 for v in values if opaque_key(v)) / len(values) if values else 0.0


def strip_digits(value: str) -> str:
    """Synthea-style names carry digits ('Abe604'); drop trailing digits before lookup."""
    return re.sub(r"\d+$", "", value.strip())


def name_like(value: str) -> bool:
    v = value.strip()
    if not _NAME.match(v):
        return False
    given, family = name_lexicon()
    words = strip_digits(v).replace("-", " ").split()
    return any(w in given or w in family for w in words)


def name_shape_share(values: list[str]) -> float:
    """Share of values shaped like a name (capitalised words, optional trailing digits)."""
    return sum(1 for v in values if _NAME.match(v.strip())) / len(values) if values else 0.0


def name_share(values: list[str]) -> float:
    return sum(1 for v in values if name_like(v)) / len(values) if values else 0.0


def decimal_share(values: list[str]) -> float:
    return sum(1 for v in values if _DECIMAL.match(v.strip())) / len(values) if values else 0.0


def geo_precision(values: list[str], limit: float) -> int | None:
    """Median number of decimals when every value is a coordinate within ±limit, else None."""
    decs = []
    for v in values:
        try:
            x = float(v)
        except ValueError:
            return None
        if abs(x) > limit:
            return None
        decs.append(len(v.split(".")[1]) if "." in v else 0)
    return sorted(decs)[len(decs) // 2] if decs else None


#: postcode shapes by country (whole value, case-insensitive); a UK or Canadian
#: postcode district alone ("LA4", "K1A") counts as that country's code
POSTCODES: dict[str, re.Pattern[str]] = {
    "US": re.compile(r"^\d{5}(?:-\d{4})?$"),
    "GB": re.compile(r"^(?:[A-Z]{1,2}\d[A-Z\d]?(?: ?\d[ABD-HJLNP-UW-Z]{2})?|GIR ?0AA)$", re.I),
    "CA": re.compile(
        r"^[ABCEGHJ-NPRSTVXY]\d[ABCEGHJ-NPRSTV-Z](?: ?\d[ABCEGHJ-NPRSTV-Z]\d)?$", re.I
    ),
    "NL": re.compile(r"^\d{4} ?[A-Z]{2}$", re.I),
    "IE": re.compile(r"^[AC-FHKNPRTV-Y]\d[\dW] ?[\dAC-FHKNPRTV-Y]{4}$", re.I),
    "4-digit": re.compile(r"^\d{4}$"),
}
#: the entity a postcode column gets, by country
POSTCODE_ENTITIES = {"US": "US_ZIP_CODE", "GB": "UK_POSTCODE", "CA": "CA_POSTAL_CODE"}
_POSTCODE_NAMES = {
    "US": "US ZIP codes",
    "GB": "UK postcodes or postcode districts",
    "CA": "Canadian postal codes",
    "NL": "Dutch postcodes",
    "IE": "Irish Eircodes",
    "4-digit": "4-digit postcodes",
}


def postcode_country(values: list[str]) -> tuple[str | None, float]:
    """The postcode shape most ``values`` have (country code) and its share.

    Canadian and UK shapes overlap on three-character districts; the full codes decide,
    and a tie goes to the UK.

    >>> postcode_country(["LA4 5XY", "RM17", "SW1A 1AA"])
    ('GB', 1.0)
    >>> postcode_country(["02139", "10001"])
    ('US', 1.0)
    """
    present = [" ".join(v.split()) for v in values if v.strip()]
    if not present:
        return None, 0.0
    shares = {
        c: sum(1 for v in present if rx.match(v)) / len(present) for c, rx in POSTCODES.items()
    }
    best = max(shares, key=lambda c: (shares[c], c == "GB"))
    return (best, shares[best]) if shares[best] > 0 else (None, 0.0)


def postcode_phrase(country: str) -> str:
    return _POSTCODE_NAMES.get(country, "postcodes")


def fixed_code_share(values: list[str]) -> float:
    """Share of values that are codes of letters and digits or of grouped digits once
    spaces and hyphens are dropped ("S99999575", "X8648891X", "ZZ 91 41 77 T", "278 018 460"),
    when at least half of them share one shape (0 otherwise).
    """
    if not values:
        return 0.0
    rx = re.compile(r"^(?=(?:\D*\d){5})[A-Za-z0-9]{6,20}$")
    compact = [re.sub(r"[\s\-]", "", v) for v in values]
    shapes: dict[str, int] = {}
    for v in compact:
        shape = re.sub(r"\d", "#", re.sub(r"[A-Za-z]", "A", v))
        shapes[shape] = shapes.get(shape, 0) + 1
    if max(shapes.values()) < 0.5 * len(values):
        return 0.0  # codes of no common shape
    return sum(1 for v in compact if rx.match(v)) / len(values)


def coordinate_decimals(values: list[str]) -> int | None:
    """Median decimals when the values look like coordinates of places: numbers within
    ±180 with at least five decimals, not all within ±1 (shares, probabilities), and
    spread over less than 20 degrees (the homes of one population); else None."""
    decimals = geo_precision(values, 180.0)
    if decimals is None or decimals < 5:
        return None
    nums = [float(v) for v in values]
    if all(abs(x) <= 1 for x in nums) or max(nums) - min(nums) > 20:
        return None
    return decimals
