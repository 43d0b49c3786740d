"""US-style street addresses in prose: "403 Harbor Avenue, Apt 4B, Salem, MA 01970".

A house number, one to four street-name words and a street suffix (St, Street, Ave, Road,
Blvd, Lane, Dr, Ct, Way, ...), then optionally a unit ("Apt 4B", "Suite 200", "#12") and
", City, ST 12345". The suffix is what separates an address from the numbers clinical
notes are full of ("500 mg", "3 Main findings", "Hb 12.1 g/dL"), so it is required.

A Python recognizer rather than YAML because the pattern must be case-sensitive:
Presidio compiles YAML patterns with IGNORECASE, under which "2 tablets twice a day"
would pass for a capitalised street name. Scores: number + street + suffix 0.6 (above
the redaction threshold on its own: the suffix makes it specific); with the city and
state 0.85. Context words ("lives", "address", "resides", ...) add Presidio's usual boost.
"""

from __future__ import annotations

import re

from presidio_analyzer import Pattern, PatternRecognizer

#: spelled-out suffixes; a full stop after them ends the sentence, not the address
SUFFIX_WORDS = (
    "Street|Avenue|Road|Boulevard|Lane|Drive|Court|Way|Place|Terrace|Circle|Parkway|Highway"
    "|Square|Trail|Loop|Row|Pike|Alley|Crescent|Expressway|Freeway|Plaza|Turnpike"
)
#: abbreviated suffixes, which may carry their own full stop
SUFFIX_ABBR = "St|Ave|Av|Rd|Blvd|Ln|Dr|Ct|Pl|Ter|Cir|Pkwy|Hwy|Sq|Trl|Plz|Expy|Fwy|Tpke"
SUFFIXES = f"{SUFFIX_WORDS}|{SUFFIX_ABBR}"
_NUMBER = r"\b\d{1,6}[A-Z]?(?:-\d{1,4})?"
_DIRECTION = r"(?:(?:N|S|E|W|NE|NW|SE|SW|North|South|East|West)\.?\s+)?"
_WORD = r"(?:[A-Z][a-z'\-]+|[A-Z]{2,}|\d{1,3}(?:st|nd|rd|th))"
_SUFFIX = rf"(?:(?:{SUFFIX_WORDS})\b|(?:{SUFFIX_ABBR})\b\.?)"
_POST_DIRECTION = r"(?:\s+(?:NE|NW|SE|SW|N|S|E|W)\b\.?)?"
_STREET = rf"{_NUMBER}\s+{_DIRECTION}{_WORD}(?:\s+{_WORD}){{0,3}}\s+{_SUFFIX}{_POST_DIRECTION}"
_UNIT_WORD = r"(?:Apt|Apartment|Unit|Suite|Ste|Rm|Room|Fl|Floor|Bldg)\.?\s*#?"
_UNIT = rf"(?:,?\s+(?:{_UNIT_WORD}\s*|#\s?)[A-Z0-9\-]{{1,6}}\b)?"
_STATE = r"[A-Z]{2}"
_CITY = (
    rf",?\s+[A-Z][a-z'\-]+(?:\s+[A-Z][a-z'\-]+){{0,2}},\s+{_STATE}(?:\s+\d{{5}}(?:-\d{{4}})?)?\b"
)

STREET_ONLY = _STREET + _UNIT
WITH_CITY = _STREET + _UNIT + _CITY
#: a cheap necessary condition for any match (used by the redaction fast path)
GATE = re.compile(rf"\b(?:{SUFFIXES})\b")

CONTEXT = [
    "address",
    "lives",
    "live",
    "resides",
    "residence",
    "reside",
    "home",
    "street",
    "mailing",
    "located",
]


class StreetAddressRecognizer(PatternRecognizer):
    def __init__(self, supported_language: str = "en") -> None:
        super().__init__(
            supported_entity="STREET_ADDRESS",
            patterns=[
                Pattern("street address with city and state", WITH_CITY, 0.85),
                Pattern("street address (number street suffix)", STREET_ONLY, 0.6),
            ],
            context=CONTEXT,
            supported_language=supported_language,
            name="StreetAddressRecognizer",
            global_regex_flags=re.DOTALL | re.MULTILINE,
        )
