"""Street addresses in prose and in column values, in several countries' formats.

Four shapes, each a case-insensitive pattern whose ambiguous parts are held to capitals:

* number first, street word last (US, UK, Canada, Australia, Ireland): "403 Harbor
  Avenue", "Flat 3, 12 Blanda Parade", "6/170 Reynolds Wade", "668 Adams Row Unit 56",
  optionally with a unit, a city, a state or county and a postcode;
* number first, street word first (France, Belgium, Quebec): "8, rue de la Paix";
* street word first, number last (Italy, Spain, Portugal, Latin America): "Via Roma 12",
  "Calle Mayor, 5 Puerta 3", "Plaza de Sigfrido Cabo 24";
* one compound word then a number (Germany, Austria, Switzerland, the Netherlands):
  "Hauptstraße 5", "Karl-Marx-Str. 12a", "Lolahof 7", "Berliner Allee 4-6";

plus post-office boxes ("PO Box 123", "Postfach 12 34").

The street word is what separates an address from the numbers clinical notes are full of
("500 mg", "3 Main findings", "2 doses by the main road"). Unambiguous street words
(Street, Road, Avenue, Lane, Parade, Quay, Viaduct, rue, Straße, ...) match in any case;
words that are also ordinary English (Way, Well, Club, Park, Drive, Court, ...) only
capitalised, and then every street-name word must be capitalised too. Lower-case function
words and measurement words ("of", "the", "doses", "hours") are never street-name words.
A Python recognizer rather than YAML because of those case rules (Presidio compiles YAML
patterns with IGNORECASE throughout).

Scores: a bare street 0.6 (above the redaction threshold on its own: the street word makes
it specific); with a city, a region or a postcode 0.85; a PO box 0.6. Context words
("lives", "address", "resides", ...) add Presidio's usual boost. :func:`is_address` holds a
whole column value to the same patterns (the scanner's value-shape evidence).
"""

from __future__ import annotations

from functools import lru_cache
from typing import Any

import regex
from presidio_analyzer import Pattern, PatternRecognizer, RecognizerResult

#: unambiguous street words (English-speaking countries), any case
STRONG_WORDS = (
    "Street|Road|Avenue|Boulevard|Lane|Crescent|Terrace|Parade|Quay|Viaduct|Parkway|Highway"
    "|Expressway|Freeway|Turnpike|Causeway|Esplanade|Motorway|Alleyway|Stravenue|Throughway"
    "|Trafficway|Underpass|Overpass|Bypass|Boardwalk|Promenade|Streets|Roads|Parkways"
)
STRONG_ABBR = "St|Rd|Ave|Av|Blvd|Ln|Pkwy|Hwy|Expy|Fwy|Tpke|Cres|Tce|Pde|Ter"
#: street words that are ordinary English words too: capitalised only (USPS, UK, AU lists)
WEAK_WORDS = (
    "Alley|Arcade|Bank|Branch|Bridge|Brook|Brooks|Burg|Burgs|Camp|Canyon|Cape|Center|Centre"
    "|Centers|Chase|Circle|Circles|Circuit|Cliff|Cliffs|Close|Club|Common|Commons|Corner"
    "|Corners|Course|Court|Courts|Cove|Coves|Creek|Crest|Crossing|Crossroad|Curve|Dale|Dam"
    "|Divide|Drive|Drives|Estate|Estates|Extension|Extensions|Fall|Falls|Ferry|Field|Fields"
    "|Flat|Flats|Ford|Fords|Forest|Forge|Forges|Fork|Forks|Fort|Garden|Gardens|Gate|Gateway"
    "|Glen|Glens|Green|Greens|Grove|Groves|Harbor|Harbors|Harbour|Haven|Heights|Hill|Hills"
    "|Hollow|Inlet|Island|Islands|Isle|Junction|Junctions|Key|Keys|Knoll|Knolls|Lake|Lakes"
    "|Land|Landing|Light|Lights|Loaf|Lock|Locks|Lodge|Loop|Mall|Manor|Manors|Meadow|Meadows"
    "|Mews|Mill|Mills|Mission|Mount|Mountain|Mountains|Neck|Orchard|Oval|Park|Parks|Pass"
    "|Passage|Path|Pike|Pine|Pines|Place|Plain|Plains|Plaza|Point|Points|Port|Ports|Prairie"
    "|Radial|Ramp|Ranch|Rapid|Rapids|Rest|Ridge|Ridges|Rise|River|Route|Row|Rue|Run|Shoal"
    "|Shoals|Shore|Shores|Skyway|Spring|Springs|Spur|Spurs|Square|Squares|Station|Stream"
    "|Summit|Trace|Track|Trail|Tunnel|Union|Unions|Valley|Valleys|Via|View|Views|Village"
    "|Villages|Ville|Vista|Wade|Walk|Walks|Wall|Way|Ways|Well|Wells|Wharf|Wynd|Yard|End"
    "|Triangle|Grange|Hillside|Approach|Brae|Broadway|Concourse|Cul-de-sac|Dell|Drove"
    # Australia Post and New Zealand street types
    "|Amble|Anchorage|Bend|Brace|Brow|Byway|Centreway|Circlet|Circus|Colonnade|Copse|Corso"
    "|Courtyard|Cross|Crossway|Cruiseway|Cutting|Deviation|Driveway|Elbow|Entrance|Fairway"
    "|Firetrail|Footway|Foreshore|Frontage|Glade|Gully|Highroad|Interchange|Laneway|Lees|Link"
    "|Lookout|Meander|Nook|Outlook|Parklands|Pathway|Piazza|Plateau|Quad|Quadrangle|Quadrant"
    "|Quays|Ramble|Range|Reach|Reserve|Retreat|Ride|Ridgeway|Riverway|Riviera|Roadside"
    "|Roadway|Ronde|Rotary|Siding|Slope|Strand|Strip|Tarn|Thoroughfare|Tollway|Tor|Towers"
    "|Trunkway|Vale|Villas|Walkway|Ring|Mew|Access|Line|Flats|Distributor|Stairs|Basin|Dip"
    "|Gap|Gates|Pocket|Subway|Formation|Beach|Steps|Front|Edge|Turn|Part|Ground|Slope"
)
WEAK_ABBR = "Dr|Ct|Pl|Cir|Sq|Trl|Plz|Cl|Gdns|Gr|Grv|Pk|Hts|Ctr|Mt|Ter"
#: street words that come before the name (France: after the number)
FR_WORDS = (
    "rue|avenue|av|boulevard|bd|bld|place|pl|chemin|ch|allée|allee|impasse|imp|quai|route"
    "|rte|cours|passage|square|voie|rond-point|sentier|faubourg|fbg|chaussée|clos|hameau"
    "|lieu-dit|résidence|residence|montée|parvis|esplanade|promenade|villa|cité|cite"
)
#: street words that come before the name, number last (Italy, Spain, Portugal, ...)
PREFIX_WORDS = (
    "via|viale|piazza|piazzale|corso|largo|vicolo|contrada|strada|rotonda|borgo|stretto"
    "|lungomare|calle|callejón|callejon|avenida|avda|paseo|camino|carrera|cuesta|ronda"
    "|travesía|travesia|pasaje|glorieta|rambla|plaza|urbanización|urbanizacion|carretera"
    "|rua|travessa|praça|praca|estrada|alameda|rodovia|ulica|ul|aleja|al|plac|incrocio|canale"
    "|piazzetta|vico|salita|traversa|sentiero|cañada|canada|pasadizo|acceso|bajada|bulevar"
    "|carrer|ctra|gran\\s+vía|gran\\s+via|vial|c/|c\\.|r\\.|av|avd"
)
#: endings of one-word street names (German, Dutch, Scandinavian) before the number
COMPOUND_ENDINGS = (
    "straße|strasse|str|weg|gasse|platz|allee|ring|damm|ufer|chaussee|pfad|steig|stieg"
    "|markt|graben|gracht|straat|laan|plein|kade|singel|dijk|dreef|steeg|hof|pad|park"
    "|boulevard|kai|zeile|gade|vej|gatan|vägen|vagen|veien|gata|torg|tori|katu|tie|baan"
    "|kant|wal|erf|zijde"
)
#: lower-case words that never name a street: function words and what clinical notes count
STOP = (
    "a|an|the|and|or|of|to|in|on|at|for|with|by|from|per|into|onto|over|under|than|then"
    "|is|was|are|were|be|been|has|had|have|he|she|they|we|you|his|her|their|it|its|this"
    "|that|these|those|no|not|every|each|all|any|some|more|less|about|after|before"
    "|mg|mcg|g|kg|ml|l|mmol|units?|iu|tabs?|tablets?|caps?|capsules?|pills?|doses?|puffs?"
    "|drops?|times?|hours?|hrs?|h|days?|weeks?|wks?|months?|mos?|years?|yrs?|y|minutes?"
    "|mins?|seconds?|secs?|x|patients?|pts?|visits?|episodes?|attempts?|cycles?|sets?|reps?"
    "|miles?|km|blocks?|steps?|flights?|stairs?|beds?|rooms?|floors?|levels?|cm|mm|m|ft"
    "|percent|pct|am|pm|daily|weekly|nightly|twice|once|prn|po|iv|im|sc|bid|tid|qid|qd"
)
_I = r"(?i:"
_CAP = r"(?-i:[A-ZÀ-ÖØ-Þ])"
#: one street-name word: not a lower-case stop word, not a measurement word in any case
_NAME = (
    rf"(?!(?-i:(?:{STOP}))\b)(?!(?:mg|mcg|kg|ml|tablets?|doses?|units?|hours?|days?|weeks?"
    rf"|times?|patients?)\b)(?:[^\W\d_][\w'’\-]*\.?|\d{{1,3}}(?:st|nd|rd|th))"
)
_CAPNAME = rf"(?:{_CAP}[\w'’\-]*\.?|\d{{1,3}}(?:st|nd|rd|th))"
_NUM = r"(?<![\d/\-.:,])\d{1,5}[a-z]?(?:\s?[-/]\s?\d{1,5}[a-z]?)?"
_UNIT_WORD = (
    r"(?:flat|unit|apt|apartment|suite|ste|studio|room|rm|level|lvl|floor|fl|bldg|building"
    r"|shop|lot|puerta|piso|appartamento|app|interno|int|scala|piano|wohnung|whg|étage"
    r"|etage|bâtiment|batiment|bât|esc|escalera|rd)"
)
_UNIT_BEFORE = rf"(?:{_UNIT_WORD}\.?\s*#?\s*[a-z0-9\-]{{1,6}},?\s+)"
_UNIT_AFTER = rf"(?:,?\s+(?:{_UNIT_WORD}\.?\s*#?\s*|#\s?)[a-z0-9\-]{{1,6}}\b)"
_DIRECTION = r"(?:\s+(?:NE|NW|SE|SW|N|S|E|W)\b\.?)"
#: postcodes written after the city (US ZIP, UK, Canada, Ireland, NL, 4-6 digits)
_POSTCODE = (
    r"(?:\d{5}(?:-\d{4})?|[a-z]{1,2}\d[a-z\d]?\s?\d[a-z]{2}|[a-z]\d[a-z]\s?\d[a-z]\d"
    r"|[a-z]\d{2}\s?[a-z\d]{4}|\d{4}\s?[a-z]{2}|\d{4,6})"
)
_CITY_WORD = rf"{_CAP}[^\W\d_]+(?:['’\-]?{_CAP}?[^\W\d_]+)*"
_CITY_LINK = r"(?:(?:de|del|la|le|les|sur|sous|am|an|der|im|upon|on|en|y|di)\s+)"
_CITY = rf"{_CITY_WORD}(?:\s+{_CITY_LINK}?{_CITY_WORD}){{0,3}}"
_REGION = r"(?-i:[A-Z]{2,3})"
_TAIL = (
    rf"(?:\s?,?\s+{_CITY}(?:,\s*{_REGION})?(?:,?\s+{_POSTCODE})?\b"
    rf"|\s?,?\s+{_POSTCODE}\b(?:\s+{_CITY})?)"
)
_TAIL_STRICT = rf"(?:,?\s+{_CITY}(?:,\s*{_REGION}(?:,?\s+{_POSTCODE})?|,?\s+{_POSTCODE})\b)"
_SUFFIX = (
    rf"(?:(?:{STRONG_WORDS})\b|(?:{STRONG_ABBR})\b\.?"
    rf"|(?-i:(?:{WEAK_WORDS})\b|(?:{WEAK_ABBR})\b\.?))"
)
_CONNECT = (
    r"(?:(?:de\s+la|de\s+l'|del|de|du|des|d'|di|della|delle|dei|degli|da|do|dos|das|e|y"
    r"|la|le|les|l')\s*)"
)

ENGLISH = (
    rf"\b(?:{_UNIT_BEFORE}?{_NUM}\s+|{_UNIT_BEFORE})(?:{_NAME}\s+){{0,3}}{_NAME}\s+{_SUFFIX}"
    rf"{_DIRECTION}?"
    rf"{_UNIT_AFTER}?"
)
FRENCH = (
    rf"\b{_UNIT_BEFORE}?\d{{1,4}}(?:\s?(?:bis|ter)\b|[a-d]\b)?,?\s+(?:{FR_WORDS})\b\.?\s+"
    rf"{_CONNECT}?{_CAPNAME}(?:\s+{_CONNECT}?{_CAPNAME}){{0,3}}{_UNIT_AFTER}?"
)
PREFIXED = (
    rf"\b(?:{PREFIX_WORDS})(?:\b|(?<=[./]))\.?\s*{_CONNECT}?{_CAPNAME}(?:\s+{_CONNECT}?{_CAPNAME}){{0,4}},?"
    rf"\s+(?:n[º°o]\.?\s*)?(?:\d{{1,4}}[a-z]?|s/n)\b{_UNIT_AFTER}?"
)
COMPOUND = (
    rf"\b(?:{_CAP}[\w'’\-.]*\s+(?:(?:van|von|der|den|de|zu|zum|zur)\s+)?){{0,3}}"
    rf"{_CAP}[\w'’\-.]{{2,}}?(?:{COMPOUND_ENDINGS})\b\.?"
    rf"\s+(?!(?:19|20)\d\d\b)\d{{1,4}}[a-z]?(?:\s?[-/]\s?\d{{1,4}}[a-z]?)?\b{_UNIT_AFTER}?"
)
SEPARATE = (
    rf"\b(?:{_CAP}[\w'’\-]*\s+){{1,2}}(?-i:Straße|Strasse|Str\.|Weg|Gasse|Platz|Allee|Ring"
    rf"|Damm|Ufer|Chaussee|Markt)\s+\d{{1,4}}[a-z]?(?:\s?[-/]\s?\d{{1,4}}[a-z]?)?\b"
)
PO_BOX = (
    r"\b(?:p\.?\s?o\.?\s?box|post\s+office\s+box|postfach|boîte\s+postale)"
    r"\s+\d(?:[\d ]{0,7}\d)?\b"
)

#: a cheap necessary condition for any match (the redaction fast path's gate): a digit
#: near a street word, or a German/Dutch compound street word
GATE = regex.compile(
    rf"\A(?=.*\d)(?=.*(?:{STRONG_WORDS}|{STRONG_ABBR}|{WEAK_WORDS}|{WEAK_ABBR}|{FR_WORDS}"
    rf"|{PREFIX_WORDS}|{COMPOUND_ENDINGS}|box|postfach|postale))",
    regex.IGNORECASE | regex.DOTALL,
)

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
    "moved",
    "adresse",
    "anschrift",
    "wohnhaft",
    "indirizzo",
    "dirección",
    "direccion",
]
_WEAK = regex.compile(rf"(?-i:(?:{WEAK_WORDS})|(?:{WEAK_ABBR}))\.?$")
_WORDS = regex.compile(r"[^\W\d_][\w'’\-]*")


#: a French street without its number, in prose ("habite rue Pichon"): the street words
#: that are not also common English words, and a capitalised name
FRENCH_BARE = (
    rf"\b(?:rue|avenue|boulevard|bd|chemin|allée|allee|impasse|quai)\s+{_CONNECT}?{_CAPNAME}"
    rf"(?:\s+{_CONNECT}?{_CAPNAME}){{0,3}}"
)


def _patterns() -> list[Pattern]:
    return [
        Pattern("street with city/region/postcode", ENGLISH + _TAIL_STRICT, 0.85),
        Pattern("number street-name street-word", ENGLISH + f"(?:{_TAIL})?", 0.6),
        Pattern("number street-word street-name (fr)", FRENCH + f"(?:{_TAIL})?", 0.6),
        Pattern("street-word street-name number", PREFIXED + f"(?:{_TAIL})?", 0.6),
        Pattern("compound street-name number", COMPOUND + f"(?:{_TAIL})?", 0.6),
        Pattern("street-name street-word number (de)", SEPARATE + f"(?:{_TAIL})?", 0.6),
        Pattern("post-office box", PO_BOX + f"(?:{_TAIL})?", 0.6),
        Pattern("street-word street-name, no number (fr)", FRENCH_BARE + f"(?:{_TAIL})?", 0.5),
    ]


def _english_names_capitalised(text: str) -> bool:
    """An English-shaped match ending in a weak street word needs capitalised name words."""
    m = _ENGLISH_PARTS.match(text)
    if m is None:
        return True
    suffix = m.group("suffix")
    if not _WEAK.match(suffix):
        return True
    return all(w[0].isupper() or w[0].isdigit() for w in _WORDS.findall(m.group("name")))


_ENGLISH_PARTS = regex.compile(
    rf"(?:{_UNIT_BEFORE}?{_NUM}\s+|{_UNIT_BEFORE})(?P<name>(?:{_NAME}\s+){{0,3}}{_NAME})\s+(?P<suffix>{_SUFFIX})",
    regex.IGNORECASE,
)


def _words(alternation: str) -> set[str]:
    return {regex.sub(r"\\s\+|\\", " ", w).split()[0].rstrip("./") for w in alternation.split("|")}


#: street words that match in any case, and those that must be capitalised
_ANY_CASE = _words(f"{STRONG_WORDS}|{STRONG_ABBR}|{FR_WORDS}|{PREFIX_WORDS}".lower()) | {
    "box",
    "postfach",
    "postale",
}
_CAPITALISED = _words(f"{WEAK_WORDS}|{WEAK_ABBR}") | {"Straße", "Strasse", "Str", "Weg", "Gasse"}
_CAPITALISED |= {w.upper() for w in _words(WEAK_WORDS)} | {"Platz", "Allee", "Ring", "Damm"}
_CAPITALISED |= {"Ufer"}
_CAPITALISED |= {"Chaussee", "Markt"}
_ENDINGS = tuple(COMPOUND_ENDINGS.split("|"))
_TOKEN = regex.compile(r"[^\W\d_]+")


def may_hold_address(text: str) -> bool:
    """A fast necessary condition for any match: a digit and a street word (or a word
    ending like a German or Dutch street name). Word-set lookups, no pattern search.

    >>> may_hold_address("Lives at 12 High Street"), may_hold_address("BP 132/84, HR 88")
    (True, False)
    """
    if not any(c.isdigit() for c in text):
        return False
    for token in _TOKEN.findall(text):
        low = token.lower()
        if low in _ANY_CASE or token in _CAPITALISED or low.endswith(_ENDINGS):
            return True
    return False


class StreetAddressRecognizer(PatternRecognizer):
    def __init__(self, supported_language: str = "en") -> None:
        super().__init__(
            supported_entity="STREET_ADDRESS",
            patterns=_patterns(),
            context=CONTEXT,
            supported_language=supported_language,
            name="StreetAddressRecognizer",
            global_regex_flags=regex.DOTALL | regex.MULTILINE | regex.IGNORECASE,
        )

    def analyze(  # type: ignore[override]
        self,
        text: str,
        entities: list[str],
        nlp_artifacts: Any = None,
        regex_flags: int | None = None,
    ) -> list[RecognizerResult]:
        if not may_hold_address(text):
            return []
        return super().analyze(text, entities, nlp_artifacts, regex_flags)

    def invalidate_result(self, pattern_text: str) -> bool | None:
        return not _english_names_capitalised(pattern_text)


@lru_cache(maxsize=1)
def _whole() -> list[regex.Pattern[str]]:
    flags = regex.IGNORECASE | regex.DOTALL
    # a value may be a French street without its number ("rue de la Paix")
    bare = rf"(?:{FR_WORDS})\.?\s+{_CONNECT}?{_CAPNAME}(?:\s+{_CONNECT}?{_CAPNAME}){{0,3}}"
    return [
        regex.compile(rf"\s*(?:{rx})[\s,.;]*", flags)
        for rx in [p.regex for p in _patterns()] + [bare + f"(?:{_TAIL})?"]
    ]


def is_address(value: str) -> bool:
    """Whether a whole value (a cell, not a sentence) is a street address.

    Case does not matter here: a column of "668 BLANDA PARADE UNIT 56" or of lower-case
    addresses is as much an address column as one in title case.

    >>> is_address("668 Blanda Parade Unit 56"), is_address("8, rue de la Paix")
    (True, True)
    >>> is_address("Hauptstraße 5"), is_address("500 mg twice daily")
    (True, False)
    """
    v = " ".join(str(value).split())
    if not v or len(v) > 200:
        return False
    forms = {v, v.title()} if (v.islower() or v.isupper()) else {v}
    for form in forms:
        for rx in _whole():
            if rx.fullmatch(form) and _english_names_capitalised(form):
                return True
    return False


def address_share(values: list[str]) -> float:
    """Share of ``values`` that are whole street addresses."""
    return sum(1 for v in values if is_address(v)) / len(values) if values else 0.0
