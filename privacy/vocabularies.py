"""Public vocabularies: value sets a steward would declare for a column holding only them.

A column whose values are all in one of these sets (spelled exactly as in the data) gets
the **whole** set as its public category list in the draft, not the values seen: the
list says nothing about the rows beyond which spelling the column uses (like its type),
and the fit then spends no budget discovering a yes/no column's two values, and keeps a
rare one.

>>> public_vocabulary(["No", "Yes"]), public_vocabulary(["F"]), public_vocabulary(["x", "y"])
(['No', 'Yes'], ['F', 'M'], None)
>>> len(public_vocabulary(["Ohio", "Texas"])), public_vocabulary(["hispanic"])
(51, ['hispanic', 'nonhispanic'])
"""

from __future__ import annotations

import re
from collections.abc import Iterable

from privacy.countries import COUNTRIES

#: US states and DC, names and USPS codes (one string each, split once)
_STATE_NAMES = (
    "Alabama|Alaska|Arizona|Arkansas|California|Colorado|Connecticut|Delaware|"
    "District of Columbia|Florida|Georgia|Hawaii|Idaho|Illinois|Indiana|Iowa|Kansas|"
    "Kentucky|Louisiana|Maine|Maryland|Massachusetts|Michigan|Minnesota|Mississippi|"
    "Missouri|Montana|Nebraska|Nevada|New Hampshire|New Jersey|New Mexico|New York|"
    "North Carolina|North Dakota|Ohio|Oklahoma|Oregon|Pennsylvania|Rhode Island|"
    "South Carolina|South Dakota|Tennessee|Texas|Utah|Vermont|Virginia|Washington|"
    "West Virginia|Wisconsin|Wyoming"
)
_STATE_USPS = (
    "AL AK AZ AR CA CO CT DE DC FL GA HI ID IL IN IA KS KY LA ME MD MA MI MN MS MO MT NE NV "
    "NH NJ NM NY NC ND OH OK OR PA RI SC SD TN TX UT VT VA WA WV WI WY"
)
_STATES: tuple[str, ...] = tuple(_STATE_NAMES.split("|"))
_STATE_CODES: tuple[str, ...] = tuple(_STATE_USPS.split(" "))

VOCABULARIES: tuple[tuple[str, ...], ...] = (
    ("F", "M"),
    ("Female", "Male"),
    ("female", "male"),
    ("FEMALE", "MALE"),
    ("N", "Y"),
    ("No", "Yes"),
    ("no", "yes"),
    ("NO", "YES"),
    ("False", "True"),
    ("false", "true"),
    ("FALSE", "TRUE"),
    # marital status (married, single, divorced, widowed), as the HL7/Synthea letters
    ("D", "M", "S", "W"),
    # race and ethnicity: the OMB 1997 categories, in the spellings health data uses
    ("asian", "black", "hawaiian", "native", "other", "white"),
    (
        "American Indian or Alaska Native",
        "Asian",
        "Black or African American",
        "Native Hawaiian or Other Pacific Islander",
        "Other",
        "Two or More Races",
        "White",
    ),
    ("hispanic", "nonhispanic"),
    ("Hispanic or Latino", "Not Hispanic or Latino"),
    # US states and DC: names and USPS codes
    _STATES,
    _STATE_CODES,
)


def public_vocabulary(values: Iterable[str]) -> list[str] | None:
    """The vocabulary that holds every value (as a list), or None."""
    seen = {str(v) for v in values}
    if not seen:
        return None
    for vocab in VOCABULARIES:
        if seen <= set(vocab):
            return list(vocab)
    return None


#: public lists a column's values are drafted as *candidates* from (not a complete list: a
#: value outside is found under DP); each needs this many distinct sampled values in it
#: the small whole numbers an integer-coded enumeration draws on (a 0-10 pain score, a
#: 1-8 admission type, a count of prior admissions): drafted as candidates so that a small
#: table keeps every value holding a few dozen rows (a candidate is kept above the
#: candidate threshold, about 3 times lower than partition selection's δ-threshold, which
#: on a 3,000-row table at ε = 1 dropped every score but the missing code '?')
SMALL_INTEGERS: tuple[str, ...] = tuple(str(i) for i in range(21))
CANDIDATE_VOCABULARIES: tuple[tuple[str, ...], ...] = (COUNTRIES, SMALL_INTEGERS)
CANDIDATE_MIN_MATCHES = 3
#: ... and this share of the column's distinct sampled values
CANDIDATE_MIN_SHARE = 0.5
_SEPARATORS = re.compile(r"[\s\-_./,()']+")


def spelling_key(value: str) -> str:
    """A value with case, '&' and separators (space, hyphen, underscore, dot, comma,
    brackets, apostrophe) normalised, to match spellings of one name.

    >>> spelling_key("Trinidad&Tobago"), spelling_key(" el_SALVADOR ")
    ('trinidad and tobago', 'el salvador')
    """
    text = str(value).lower().replace("&", " and ")
    return " ".join(w for w in _SEPARATORS.split(text) if w)


def candidate_vocabulary(values: Iterable[str]) -> list[str] | None:
    """The candidate list (a public vocabulary, e.g. country names) that most of the
    distinct ``values`` come from, spelt in their style, or None.

    The style (word separator, upper or lower case) is read from the values that match;
    every candidate is spelt the same way, so the list does not tell which were seen.

    >>> c = candidate_vocabulary(["United-States", "Mexico", "Puerto-Rico", "South", "?"])
    >>> len(c) > 250, "El-Salvador" in c, "South" in c
    (True, True, False)
    >>> candidate_vocabulary(["red", "blue", "France"]) is None
    True
    """
    seen = {str(v).strip() for v in values} - {""}
    if not seen:
        return None
    for vocab in CANDIDATE_VOCABULARIES:
        keys = {spelling_key(v) for v in vocab}
        hits = [v for v in seen if spelling_key(v) in keys]
        if len(hits) < CANDIDATE_MIN_MATCHES or len(hits) < CANDIDATE_MIN_SHARE * len(seen):
            continue
        return _in_style(vocab, hits)
    return None


def _in_style(vocab: tuple[str, ...], hits: list[str]) -> list[str]:
    """``vocab`` spelt as ``hits`` are: their commonest word separator and their case."""
    seps: dict[str, int] = {}
    for v in hits:
        for m in re.finditer(r"[A-Za-z0-9]([ \-_]+)[A-Za-z0-9]", v):
            seps[m.group(1)] = seps.get(m.group(1), 0) + 1
    sep = max(seps, key=lambda k: seps[k]) if seps else " "
    letters = "".join(ch for v in hits for ch in v if ch.isalpha())
    case = str.upper if letters.isupper() else str.lower if letters.islower() else None
    out: dict[str, None] = {}
    for name in vocab:
        word = sep.join(w for w in _SEPARATORS.split(name.replace("&", " and ")) if w)
        out[case(word) if case else word] = None
    return list(out)


#: titles and salutations (lower case, no dot): a salutation column's values, and the words
#: before a person's name in prose (privacy.recognizers.names adds ranks and kinship)
TITLES: tuple[str, ...] = (
    "mr", "mrs", "ms", "mx", "miss", "mister", "madam", "dr", "prof", "sir", "dame", "rev",
    "fr", "sr", "sra", "srta", "herr", "frau", "mme", "mlle",
)  # fmt: skip


#: value sets of demographic quasi-identifiers (lower case, punctuation dropped): a
#: column whose values mostly come from one of them is a quasi-identifier whatever its
#: header says. Single letters are left out (M/S could be sizes); the header rules cover them
QUASI_VOCABULARIES: dict[str, frozenset[str]] = {
    "race or ethnicity": frozenset(
        [
            "white",
            "black",
            "asian",
            "hispanic",
            "latino",
            "latina",
            "latinx",
            "caucasian",
            "native",
            "other",
            "mixed",
            "multiracial",
            "nonhispanic",
            "hispanic",
            "indian",
            "pakistani",
            "bangladeshi",
            "chinese",
            "arab",
            "metis",
            "inuit",
            "aboriginal",
            "maori",
        ]
    )
    | frozenset(
        {
            "non hispanic",
            "not hispanic or latino",
            "hispanic or latino",
            "african american",
            "black or african american",
            "american indian",
            "alaska native",
            "american indian or alaska native",
            "native hawaiian",
            "pacific islander",
            "native hawaiian or other pacific islander",
            "two or more races",
            "asian pac islander",
            "amer indian eskimo",
            "some other race",
            "white british",
            "white irish",
            "white other",
            "black caribbean",
            "black african",
            "first nations",
            "torres strait islander",
        }
    ),
    "marital status": frozenset(
        {
            "married",
            "single",
            "divorced",
            "widowed",
            "separated",
            "never married",
            "unmarried",
            "partnered",
            "domestic partner",
            "civil partnership",
            "married civ spouse",
            "married af spouse",
            "married spouse absent",
            "cohabiting",
            "engaged",
            "ledig",
            "verheiratet",
            "geschieden",
            "verwitwet",
            "célibataire",
            "marié",
            "mariée",
            "divorcé",
            "divorcée",
            "veuf",
            "veuve",
            "soltero",
            "casado",
            "divorciado",
            "viudo",
        }
    ),
    "salutation or title": frozenset([*TITLES, "lady", "lord", "master", "missus"]),
    "sex or gender": frozenset(
        [
            "male",
            "female",
            "man",
            "woman",
            "men",
            "women",
            "boy",
            "girl",
            "nonbinary",
            "non",
            "binary",
            "intersex",
            "transgender",
            "trans",
            "männlich",
            "weiblich",
            "homme",
            "femme",
            "masculin",
            "féminin",
            "hombre",
            "mujer",
        ]
    ),
}
_PUNCT = re.compile(r"[^\w\s]|_")


def quasi_vocabulary(values: Iterable[str]) -> tuple[str, float] | None:
    """(kind, share) when at least two distinct values and 90 % of them are words of one
    demographic vocabulary (race, marital status, salutation, sex), else None.

    >>> quasi_vocabulary(["Married", "Never-married", "Divorced"])
    ('marital status', 1.0)
    >>> quasi_vocabulary(["Mr.", "Mrs.", "Ms."]), quasi_vocabulary(["red", "blue"])
    (('salutation or title', 1.0), None)
    """
    seen = {" ".join(_PUNCT.sub(" ", str(v).lower()).split()) for v in values}
    seen.discard("")
    if len(seen) < 2:
        return None
    for kind, words in QUASI_VOCABULARIES.items():
        share = sum(1 for v in seen if v in words) / len(seen)
        if share >= 0.9 and sum(1 for v in seen if v in words and len(v) > 1) >= 2:
            return kind, share
    return None
