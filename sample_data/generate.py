"""Generate an invented hospital-admissions patient table for steward-synth.

Every value in the output is made up: names and street names come from Faker
(``en_US``, seeded), all other fields are drawn with
``numpy.random.default_rng(seed)``. No real patient data is used. The table is
meant to *look* like a sensitive clinical extract, with direct identifiers
(name, SSN, MRN, phone, email, address), quasi-identifiers (date of birth,
ZIP, sex, race/ethnicity, dates of stay), clinical measurements with
plausible correlations, and a free-text note that leaks identifiers, so the
privacy and synthesis pipelines have something realistic to work on.

The output is deterministic: the same ``--rows`` and ``--seed`` always give
byte-identical CSV for a given set of library versions (Faker in particular).

Faker is slow per call, so it is only used to build fixed-size pools of first
names, last names and street names; rows are then assembled from those pools
with numpy, which keeps ``generate(1_000_000, seed)`` to well under a minute.

Usage::

    python sample_data/generate.py [--rows 5000] [--seed 7] [--out PATH]

Benchmarks can import :func:`generate` to build larger tables in memory.

Numeric columns are clipped to fixed bounds (see ``*_BOUNDS`` constants) so
that a schema can declare their public domains. Lab columns are ~4% missing.
"""

from __future__ import annotations

import argparse
from dataclasses import dataclass
from pathlib import Path

import numpy as np
import pandas as pd
from faker import Faker

DEFAULT_ROWS = 5000
DEFAULT_SEED = 7
DEFAULT_OUT = Path(__file__).with_name("patients.csv")

N_FIRST_NAMES = 2000
N_LAST_NAMES = 2000
N_STREETS = 5000

ADMISSION_START = np.datetime64("2021-01-01")
ADMISSION_END = np.datetime64("2024-12-31")

AGE_BOUNDS = (18, 100)
HEMOGLOBIN_BOUNDS = (5.0, 20.0)
GLUCOSE_BOUNDS = (40, 600)
CREATININE_BOUNDS = (0.3, 12.0)
SYSTOLIC_BOUNDS = (70, 230)
LOS_BOUNDS = (0, 60)
LAB_MISSING_RATE = 0.04
EMPTY_NOTE_RATE = 0.03

COLUMNS = [
    "patient_id",
    "mrn",
    "full_name",
    "ssn",
    "date_of_birth",
    "phone",
    "email",
    "street_address",
    "zip",
    "sex",
    "race_ethnicity",
    "admission_date",
    "discharge_date",
    "age",
    "diagnosis_icd10",
    "hemoglobin_g_dl",
    "glucose_mg_dl",
    "creatinine_mg_dl",
    "systolic_bp",
    "length_of_stay_days",
    "readmitted_30d",
    "payer",
    "clinical_note",
]

RACE_SHARES = {
    "White": 0.60,
    "Black": 0.13,
    "Hispanic": 0.17,
    "Asian": 0.06,
    "Other": 0.04,
}

PAYERS = ["Medicare", "Medicaid", "Private", "Self-pay"]
PAYER_SHARES_65_PLUS = [0.88, 0.04, 0.06, 0.02]
PAYER_SHARES_UNDER_65 = [0.05, 0.28, 0.58, 0.09]

# Relative admission frequency by single year of age (piecewise linear knots).
AGE_KNOTS = [
    (18, 1.0),
    (30, 1.0),
    (45, 1.3),
    (60, 2.2),
    (72, 2.6),
    (82, 1.8),
    (89, 0.9),
    (90, 0.22),
    (100, 0.05),
]

# (ZIP3, state, relative weight, area codes) for a few north-eastern states.
ZIP3_TABLE: list[tuple[str, str, float, tuple[str, ...]]] = [
    ("010", "MA", 3, ("413",)),
    ("011", "MA", 2, ("413",)),
    ("014", "MA", 1, ("978",)),
    ("015", "MA", 3, ("508", "774")),
    ("016", "MA", 2, ("508", "774")),
    ("017", "MA", 3, ("508", "774")),
    ("018", "MA", 4, ("781", "978", "351")),
    ("019", "MA", 2, ("781", "978")),
    ("020", "MA", 3, ("508", "774")),
    ("021", "MA", 10, ("617", "857")),
    ("022", "MA", 4, ("617", "857")),
    ("023", "MA", 2, ("508", "774")),
    ("024", "MA", 5, ("781", "339", "617")),
    ("026", "MA", 1, ("508",)),
    ("027", "MA", 2, ("508", "774")),
    ("028", "RI", 2, ("401",)),
    ("029", "RI", 2, ("401",)),
    ("060", "CT", 2, ("860",)),
    ("061", "CT", 2, ("860",)),
    ("064", "CT", 2, ("203", "475")),
    ("065", "CT", 1, ("203",)),
    ("066", "CT", 1, ("203",)),
    ("068", "CT", 1, ("203",)),
    ("100", "NY", 12, ("212", "646", "917")),
    ("101", "NY", 2, ("212", "646")),
    ("103", "NY", 2, ("718", "347")),
    ("104", "NY", 6, ("718", "347", "929")),
    ("105", "NY", 3, ("914",)),
    ("110", "NY", 2, ("516", "718")),
    ("111", "NY", 2, ("718",)),
    ("112", "NY", 10, ("718", "347", "929")),
    ("113", "NY", 4, ("718", "347")),
    ("114", "NY", 3, ("718",)),
    ("115", "NY", 2, ("516",)),
    ("117", "NY", 4, ("631",)),
    ("120", "NY", 2, ("518",)),
    ("122", "NY", 1, ("518",)),
    ("130", "NY", 1, ("315",)),
    ("132", "NY", 1, ("315",)),
    ("142", "NY", 2, ("716",)),
    ("146", "NY", 2, ("585",)),
]

STREET_STEMS = [
    "Maple", "Oak", "Elm", "Pine", "Cedar", "Main", "Washington", "Park",
    "Lake", "Hill", "Church", "School", "Spring", "Highland", "Prospect",
    "Union", "Center", "River", "Pleasant", "Summer", "Winter", "Chestnut",
    "Walnut", "Franklin", "Lincoln", "Adams", "Jefferson", "Madison", "Broad",
    "Mill", "Forest", "Meadow", "Bay", "Harbor", "Water", "Academy",
]  # fmt: skip
STREET_SUFFIXES = {
    "Street": 30,
    "Avenue": 14,
    "Road": 14,
    "Lane": 8,
    "Drive": 8,
    "Court": 5,
    "Place": 4,
    "Way": 4,
    "Terrace": 3,
    "Boulevard": 2,
    "Circle": 2,
    "Parkway": 1,
}

EMAIL_DOMAINS = {
    "gmail.com": 35,
    "yahoo.com": 14,
    "hotmail.com": 8,
    "outlook.com": 8,
    "aol.com": 4,
    "icloud.com": 6,
    "comcast.net": 3,
    "example.com": 12,
    "example.org": 6,
    "example.net": 4,
}

MONTH_NAMES = [
    "January", "February", "March", "April", "May", "June", "July",
    "August", "September", "October", "November", "December",
]  # fmt: skip


@dataclass(frozen=True)
class Diagnosis:
    """One ICD-10-CM code with the knobs that drive its correlated columns."""

    code: str
    phrases: tuple[str, ...]
    age_weights: tuple[float, float, float, float]  # 18-44, 45-64, 65-79, 80+
    female_mult: float = 1.0
    male_mult: float = 1.0
    los_median: float = 3.0
    los_min: int = 1
    los_sigma: float = 0.45
    hb_shift: float = 0.0
    glucose_mult: float = 1.0
    creatinine_mult: float = 1.0
    sbp_shift: float = 0.0
    readmit_logit: float = 0.0


DELIVERY = "O80"

DIAGNOSES: list[Diagnosis] = [
    Diagnosis(
        "I50.9",
        ("acute decompensated heart failure", "dyspnea and leg edema, CHF flare"),
        (1, 5, 9, 11), male_mult=1.1, los_median=4.5, hb_shift=-0.6,
        creatinine_mult=1.3, sbp_shift=4, readmit_logit=0.8,
    ),
    Diagnosis(
        "J18.9",
        ("community-acquired pneumonia", "fever, productive cough and an infiltrate"),
        (4, 6, 8, 10), los_median=4.5, glucose_mult=1.1, creatinine_mult=1.1,
        readmit_logit=0.2,
    ),
    Diagnosis(
        "N17.9",
        ("acute kidney injury", "rising creatinine consistent with AKI"),
        (1, 3, 5, 6), los_median=4.5, hb_shift=-1.3, creatinine_mult=3.0,
        readmit_logit=0.3,
    ),
    Diagnosis(
        "E11.9",
        ("poorly controlled type 2 diabetes", "hyperglycemia in type 2 diabetes"),
        (2, 4, 3, 2), los_median=3.0, glucose_mult=2.1, creatinine_mult=1.15,
        sbp_shift=6, readmit_logit=0.2,
    ),
    Diagnosis(
        "I21.4",
        ("NSTEMI", "chest pressure and elevated troponin (NSTEMI)"),
        (1, 5, 6, 5), female_mult=0.7, male_mult=1.4, los_median=3.5,
        glucose_mult=1.15, sbp_shift=8, readmit_logit=0.3,
    ),
    Diagnosis(
        "J44.1",
        ("COPD exacerbation", "increased wheeze and sputum, COPD flare"),
        (0.3, 4, 6, 5), los_median=4.0, hb_shift=0.5, glucose_mult=1.1,
        readmit_logit=0.7,
    ),
    Diagnosis(
        "A41.9",
        ("sepsis of unclear source", "fever, hypotension and high lactate, sepsis"),
        (2, 4, 6, 8), los_median=7.5, los_min=3, hb_shift=-1.5, glucose_mult=1.25,
        creatinine_mult=1.5, sbp_shift=-22, readmit_logit=0.4,
    ),
    Diagnosis(
        "K35.80",
        ("acute appendicitis", "RLQ pain, CT consistent with appendicitis"),
        (7, 2.5, 1, 0.5), male_mult=1.2, los_median=2.0, los_sigma=0.35,
        readmit_logit=-0.8,
    ),
    Diagnosis(
        DELIVERY,
        ("term pregnancy in labor", "spontaneous labor at 39 weeks"),
        (0, 0, 0, 0), male_mult=0.0, los_median=2.0, los_sigma=0.25,
        hb_shift=-1.0, sbp_shift=-8, readmit_logit=-1.2,
    ),
    Diagnosis(
        "S72.001A",
        ("right hip fracture after a fall", "fall at home, right femoral neck fracture"),
        (0.3, 1, 4, 9), female_mult=1.6, los_median=6.0, los_min=2, hb_shift=-1.2,
        readmit_logit=0.2,
    ),
    Diagnosis(
        "F32.9",
        ("major depressive episode", "worsening depression with passive SI"),
        (6, 4, 2, 1), female_mult=1.3, los_median=7.0, los_sigma=0.5,
        readmit_logit=0.3,
    ),
    Diagnosis(
        "K80.20",
        ("symptomatic cholelithiasis", "biliary colic from gallstones"),
        (4, 4, 3, 2), female_mult=1.5, los_median=2.0, los_sigma=0.35,
        readmit_logit=-0.6,
    ),
    Diagnosis(
        "I63.9",
        ("acute ischemic stroke", "new left-sided weakness, ischemic stroke on MRI"),
        (0.5, 3, 6, 8), los_median=5.0, glucose_mult=1.15, sbp_shift=18,
        readmit_logit=0.3,
    ),
    Diagnosis(
        "N39.0",
        ("urinary tract infection", "dysuria and confusion, UA positive"),
        (3, 2, 4, 8), female_mult=2.0, los_median=3.5, creatinine_mult=1.1,
    ),
    Diagnosis(
        "C34.90",
        ("lung cancer", "lung mass, biopsy-proven non-small cell carcinoma"),
        (0.2, 2, 3.5, 2), male_mult=1.2, los_median=6.0, hb_shift=-1.5,
        readmit_logit=0.6,
    ),
    Diagnosis(
        "M17.11",
        ("right knee osteoarthritis for elective TKA", "end-stage right knee OA"),
        (0.3, 4, 5, 1.5), female_mult=1.3, los_median=2.0, los_sigma=0.3,
        readmit_logit=-0.8,
    ),
    Diagnosis(
        "R07.9",
        ("chest pain, rule out ACS", "atypical chest pain"),
        (5, 6, 4, 2.5), los_median=1.0, los_min=0, los_sigma=0.4,
        sbp_shift=6, readmit_logit=-0.3,
    ),
    Diagnosis(
        "G40.909",
        ("breakthrough seizure", "seizure in known epilepsy"),
        (4, 2, 1.5, 1), los_median=2.5,
    ),
    Diagnosis(
        "I48.91",
        ("atrial fibrillation with RVR", "new-onset atrial fibrillation"),
        (0.5, 3, 6, 7), los_median=3.0, sbp_shift=4, readmit_logit=0.2,
    ),
    Diagnosis(
        "E86.0",
        ("dehydration", "poor oral intake and dehydration"),
        (2, 1.5, 3, 6), los_median=2.5, hb_shift=0.8, creatinine_mult=1.35,
        sbp_shift=-10,
    ),
]  # fmt: skip

NOTE_TEMPLATES = [
    "Patient {name} admitted on {adm} with {dx}. {contact} can be reached at {phone}.",
    "{name} (DOB {dob}) presented on {adm} with {dx}. Admitted for management.",
    "{name}, MRN {mrn}, seen in the ED on {adm} for {dx}.",
    "Admission {adm}: {name} with {dx}. Records requested via {email}.",
    "{name} is a {age}-year-old {person} admitted {adm} for {dx}.",
    "Pt {name} (MRN {mrn}) admitted {adm}. Working dx: {dx}. Callback {phone}.",
    "On {adm}, {name} was admitted with {dx}. DOB {dob}.",
    "{name} admitted {adm} with {dx}. {contact} updated by phone at {phone}.",
    "HPI: {age}yo {sex} ({name}) presenting {adm} with {dx}.",
    "{name} (DOB {dob}, MRN {mrn}) admitted {adm} with {dx}. Email: {email}.",
]
CONTACTS = ["Daughter", "Son", "Spouse", "Sister", "Brother", "Patient"]


def _weights(mapping: dict[str, float]) -> tuple[list[str], np.ndarray]:
    keys = list(mapping)
    values = np.array([mapping[k] for k in keys], dtype=float)
    return keys, values / values.sum()


def _pick(rng: np.random.Generator, values: list[str], size: int) -> np.ndarray:
    """Uniformly pick ``size`` items from ``values`` as an object array."""
    return np.asarray(values, dtype=object)[rng.integers(0, len(values), size)]


def build_pools(seed: int) -> dict[str, np.ndarray]:
    """Build fixed-size pools of Faker names and street names (row-independent)."""
    fake = Faker("en_US")
    fake.seed_instance(seed)
    female = [fake.first_name_female() for _ in range(N_FIRST_NAMES)]
    male = [fake.first_name_male() for _ in range(N_FIRST_NAMES)]
    last = [fake.last_name() for _ in range(N_LAST_NAMES)]
    suffixes, suffix_p = _weights(STREET_SUFFIXES)
    streets = []
    for _ in range(N_STREETS):
        use_surname = fake.random.random() < 0.6
        stem = fake.last_name() if use_surname else fake.random.choice(STREET_STEMS)
        suffix = fake.random.choices(suffixes, weights=suffix_p)[0]
        streets.append(f"{stem} {suffix}")
    return {
        "female": np.asarray(female, dtype=object),
        "male": np.asarray(male, dtype=object),
        "last": np.asarray(last, dtype=object),
        "street": np.asarray(streets, dtype=object),
    }


def unique_ids(rng: np.random.Generator, rows: int, digits: int) -> np.ndarray:
    """Distinct zero-padded numeric strings with ``digits`` digits."""
    values = rng.choice(10**digits, size=rows, replace=False)
    return np.char.zfill(values.astype(str), digits).astype(object)


def make_ssns(rng: np.random.Generator, rows: int) -> np.ndarray:
    """Distinct SSNs: area 001-899 without 666, group 01-99, serial 0001-9999."""
    areas = np.setdiff1d(np.arange(1, 900), [666])
    n_group, n_serial = 99, 9999
    flat = rng.choice(len(areas) * n_group * n_serial, size=rows, replace=False)
    area = areas[flat // (n_group * n_serial)]
    group = (flat // n_serial) % n_group + 1
    serial = flat % n_serial + 1
    return np.array(
        [f"{a:03d}-{g:02d}-{s:04d}" for a, g, s in zip(area, group, serial, strict=True)],
        dtype=object,
    )


def draw_ages(rng: np.random.Generator, rows: int) -> np.ndarray:
    """Ages at admission from the piecewise-linear AGE_KNOTS density."""
    ages = np.arange(AGE_BOUNDS[0], AGE_BOUNDS[1] + 1)
    knot_x, knot_y = zip(*AGE_KNOTS, strict=True)
    density = np.interp(ages, knot_x, knot_y)
    return rng.choice(ages, size=rows, p=density / density.sum())


def split_date(dates: np.ndarray) -> tuple[np.ndarray, np.ndarray, np.ndarray]:
    """Year, month, day integer arrays from datetime64[D]."""
    years = dates.astype("datetime64[Y]").astype(int) + 1970
    month_start = dates.astype("datetime64[M]")
    months = month_start.astype(int) % 12 + 1
    days = (dates - month_start.astype("datetime64[D]")).astype(int) + 1
    return years, months, days


def make_date(years: np.ndarray, months: np.ndarray, days: np.ndarray) -> np.ndarray:
    """datetime64[D] array from year, month, day integer arrays."""
    ym = (years - 1970).astype("datetime64[Y]").astype("datetime64[M]")
    ym = ym + (months - 1).astype("timedelta64[M]")
    return ym.astype("datetime64[D]") + (days - 1).astype("timedelta64[D]")


def draw_dates(rng: np.random.Generator, ages: np.ndarray) -> tuple[np.ndarray, np.ndarray]:
    """Admission dates and birth dates whose exact age at admission is ``ages``."""
    span = int((ADMISSION_END - ADMISSION_START).astype(int)) + 1
    admission = ADMISSION_START + rng.integers(0, span, ages.size)
    adm_y, adm_m, adm_d = split_date(admission)
    # Birthday month/day from a non-leap reference year, so no Feb 29 issues.
    reference = np.datetime64("2001-01-01") + rng.integers(0, 365, ages.size)
    _, birth_m, birth_d = split_date(reference)
    not_yet = (birth_m > adm_m) | ((birth_m == adm_m) & (birth_d > adm_d))
    birth_y = adm_y - ages - not_yet.astype(int)
    return admission, make_date(birth_y, birth_m, birth_d)


def age_band(ages: np.ndarray) -> np.ndarray:
    """0: 18-44, 1: 45-64, 2: 65-79, 3: 80+."""
    return np.digitize(ages, [45, 65, 80])


def draw_diagnoses(rng: np.random.Generator, ages: np.ndarray, female: np.ndarray) -> np.ndarray:
    """Index into DIAGNOSES for each row, with age- and sex-dependent odds."""
    band_w = np.array([d.age_weights for d in DIAGNOSES], dtype=float).T
    sex_w = np.array([[d.male_mult, d.female_mult] for d in DIAGNOSES]).T
    weights = band_w[age_band(ages)] * sex_w[female.astype(int)]
    delivery = [d.code for d in DIAGNOSES].index(DELIVERY)
    fertile = np.select([ages < 35, ages < 40, ages <= 45], [22.0, 12.0, 3.0], 0.0)
    weights[:, delivery] = np.where(female, fertile, 0.0)
    cumulative = np.cumsum(weights, axis=1)
    u = rng.random(ages.size) * cumulative[:, -1]
    return (cumulative < u[:, None]).sum(axis=1)


def diagnosis_attr(dx: np.ndarray, name: str) -> np.ndarray:
    """Per-row array of one Diagnosis attribute."""
    return np.array([getattr(d, name) for d in DIAGNOSES])[dx]


def draw_los(rng: np.random.Generator, dx: np.ndarray, ages: np.ndarray) -> np.ndarray:
    """Length of stay: log-normal around a diagnosis median, longer when older."""
    median = diagnosis_attr(dx, "los_median")
    sigma = diagnosis_attr(dx, "los_sigma")
    age_factor = 1.0 + 0.01 * np.clip(ages - 50, 0, None)
    los = np.rint(median * age_factor * np.exp(rng.normal(0.0, sigma)))
    los = np.maximum(los, diagnosis_attr(dx, "los_min"))
    return np.clip(los, *LOS_BOUNDS).astype(np.int64)


def with_missing(rng: np.random.Generator, values: pd.Series) -> pd.Series:
    """Blank out ~LAB_MISSING_RATE of ``values``."""
    return values.mask(rng.random(len(values)) < LAB_MISSING_RATE)


def draw_labs(
    rng: np.random.Generator, dx: np.ndarray, ages: np.ndarray, female: np.ndarray
) -> dict[str, pd.Series]:
    """Hemoglobin, glucose, creatinine and systolic BP with clinical effects."""
    n = ages.size
    older = np.clip(ages - 50, 0, None)
    hb = np.where(female, 12.9, 14.4) - 0.02 * np.clip(ages - 60, 0, None)
    hb = hb + diagnosis_attr(dx, "hb_shift") + rng.normal(0.0, 1.3, n)
    glucose = 100.0 * (1 + 0.002 * older) * diagnosis_attr(dx, "glucose_mult")
    glucose = glucose * np.exp(rng.normal(0.0, 0.22, n))
    creat = np.where(female, 0.78, 0.98) * (1 + 0.012 * older)
    creat = creat * diagnosis_attr(dx, "creatinine_mult")
    creat = creat * np.exp(rng.normal(0.0, 0.28, n))
    sbp = 122 + 0.35 * (ages - 45) + diagnosis_attr(dx, "sbp_shift")
    sbp = sbp + rng.normal(0.0, 17.0, n)
    return {
        "hemoglobin_g_dl": with_missing(
            rng, pd.Series(np.round(np.clip(hb, *HEMOGLOBIN_BOUNDS), 1))
        ),
        "glucose_mg_dl": with_missing(
            rng, pd.Series(np.rint(np.clip(glucose, *GLUCOSE_BOUNDS)), dtype="Int64")
        ),
        "creatinine_mg_dl": with_missing(
            rng, pd.Series(np.round(np.clip(creat, *CREATININE_BOUNDS), 2))
        ),
        "systolic_bp": pd.Series(np.rint(np.clip(sbp, *SYSTOLIC_BOUNDS)), dtype="int64"),
    }


def draw_payers(rng: np.random.Generator, ages: np.ndarray) -> np.ndarray:
    """Payer, mostly Medicare at 65+ and mostly private/Medicaid below."""
    senior = rng.choice(PAYERS, size=ages.size, p=PAYER_SHARES_65_PLUS)
    younger = rng.choice(PAYERS, size=ages.size, p=PAYER_SHARES_UNDER_65)
    return np.where(ages >= 65, senior, younger).astype(object)


def draw_readmitted(
    rng: np.random.Generator,
    dx: np.ndarray,
    ages: np.ndarray,
    los: np.ndarray,
    payer: np.ndarray,
) -> np.ndarray:
    """30-day readmission flag from a logistic model (overall ~15%)."""
    logit = (
        -2.5
        + 0.09 * np.minimum(los, 20)
        + 0.02 * (ages - 65)
        + diagnosis_attr(dx, "readmit_logit")
        + 0.25 * (payer == "Medicaid")
    )
    prob = 1.0 / (1.0 + np.exp(-logit))
    return np.where(rng.random(ages.size) < prob, "yes", "no").astype(object)


def draw_zips(rng: np.random.Generator, rows: int) -> tuple[np.ndarray, np.ndarray]:
    """ZIP codes from the skewed ZIP3 table, plus a matching area code."""
    weights = np.array([row[2] for row in ZIP3_TABLE], dtype=float)
    idx = rng.choice(len(ZIP3_TABLE), size=rows, p=weights / weights.sum())
    last_two = (np.floor(99 * rng.random(rows) ** 1.5) + 1).astype(int)
    area_pick = rng.random(rows)
    zips, areas = [], []
    for i, tail, u in zip(idx, last_two, area_pick, strict=True):
        zip3, _, _, codes = ZIP3_TABLE[i]
        zips.append(f"{zip3}{tail:02d}")
        areas.append(codes[int(u * len(codes))])
    return np.array(zips, dtype=object), np.array(areas, dtype=object)


def make_phones(rng: np.random.Generator, area_codes: np.ndarray) -> np.ndarray:
    """US phone numbers, ~70% "(617) 555-0123" and ~30% "617-555-0123"."""
    n = area_codes.size
    exchange = rng.integers(200, 1000, n)
    exchange = np.where(exchange % 100 == 11, exchange + 1, exchange)  # no N11
    line = rng.integers(0, 10000, n)
    paren = rng.random(n) < 0.7
    return np.array(
        [
            f"({a}) {e}-{ln:04d}" if p else f"{a}-{e}-{ln:04d}"
            for a, e, ln, p in zip(area_codes, exchange, line, paren, strict=True)
        ],
        dtype=object,
    )


def _slug(text: str) -> str:
    return "".join(ch for ch in text.lower() if ch.isalnum())


def make_emails(rng: np.random.Generator, first: np.ndarray, last: np.ndarray) -> np.ndarray:
    """Emails derived from the name plus digits, at common/example domains."""
    n = first.size
    domains, domain_p = _weights(EMAIL_DOMAINS)
    domain = rng.choice(domains, size=n, p=domain_p)
    pattern = rng.integers(0, 4, n)
    digits = rng.integers(1, 1000, n)
    out = []
    for f, la, pat, d, dom in zip(first, last, pattern, digits, domain, strict=True):
        f, la = _slug(f), _slug(la)
        local = (f"{f}.{la}", f"{f[0]}{la}", f"{f}{la}", f"{f}_{la}")[pat]
        out.append(f"{local}{d}@{dom}")
    return np.array(out, dtype=object)


def make_streets(rng: np.random.Generator, pool: np.ndarray, rows: int) -> np.ndarray:
    """House number (mostly 2-4 digits) plus a pooled street name."""
    n_digits = rng.choice([1, 2, 3, 4], size=rows, p=[0.07, 0.25, 0.43, 0.25])
    low = 10 ** (n_digits - 1)
    number = low + np.floor(rng.random(rows) * (9 * low)).astype(int)
    street = pool[rng.integers(0, pool.size, rows)]
    return np.array([f"{h} {s}" for h, s in zip(number, street, strict=True)], dtype=object)


def _us_date(y: int, m: int, d: int) -> str:
    return f"{m:02d}/{d:02d}/{y}"


def _long_date(y: int, m: int, d: int) -> str:
    return f"{MONTH_NAMES[m - 1]} {d}, {y}"


def make_notes(rng: np.random.Generator, table: dict[str, np.ndarray]) -> np.ndarray:
    """Short free-text notes that leak identifiers, from NOTE_TEMPLATES."""
    n = table["age"].size
    template = rng.integers(0, len(NOTE_TEMPLATES), n)
    use_title = rng.random(n) < 0.4
    adm_style = rng.choice(3, size=n, p=[0.5, 0.35, 0.15])
    dob_long = rng.random(n) < 0.3
    contact = _pick(rng, CONTACTS, n)
    phrase_pick = rng.integers(0, 2, n)
    empty = rng.random(n) < EMPTY_NOTE_RATE
    adm = split_date(table["admission"])
    dob = split_date(table["birth"])
    notes = []
    for i in range(n):
        if empty[i]:
            notes.append("")
            continue
        female = table["female"][i]
        title = ("Ms. " if female else "Mr. ") + table["last"][i]
        ay, am, ad = int(adm[0][i]), int(adm[1][i]), int(adm[2][i])
        by, bm, bd = int(dob[0][i]), int(dob[1][i]), int(dob[2][i])
        adm_text = (
            _us_date(ay, am, ad),
            _long_date(ay, am, ad),
            f"{ay}-{am:02d}-{ad:02d}",
        )[adm_style[i]]
        notes.append(
            NOTE_TEMPLATES[template[i]].format(
                name=title if use_title[i] else table["full_name"][i],
                adm=adm_text,
                dob=_long_date(by, bm, bd) if dob_long[i] else _us_date(by, bm, bd),
                dx=DIAGNOSES[table["dx"][i]].phrases[phrase_pick[i]],
                contact=contact[i],
                phone=table["phone"][i],
                mrn=table["mrn"][i],
                email=table["email"][i],
                age=table["age"][i],
                person="woman" if female else "man",
                sex="F" if female else "M",
            )
        )
    return np.array(notes, dtype=object)


def generate(rows: int = DEFAULT_ROWS, seed: int = DEFAULT_SEED) -> pd.DataFrame:
    """Return ``rows`` invented admissions as a DataFrame (deterministic in seed)."""
    if not 0 < rows <= 10**7:
        raise ValueError("rows must be between 1 and 10,000,000")
    pools = build_pools(seed)
    rng = np.random.default_rng(seed)

    female = rng.random(rows) < 0.52
    first = np.where(
        female,
        pools["female"][rng.integers(0, N_FIRST_NAMES, rows)],
        pools["male"][rng.integers(0, N_FIRST_NAMES, rows)],
    )
    last = pools["last"][rng.integers(0, N_LAST_NAMES, rows)]
    full_name = np.array([f"{f} {la}" for f, la in zip(first, last, strict=True)], dtype=object)
    ages = draw_ages(rng, rows)
    admission, birth = draw_dates(rng, ages)
    dx = draw_diagnoses(rng, ages, female)
    los = draw_los(rng, dx, ages)
    zips, area_codes = draw_zips(rng, rows)
    races, race_p = _weights(RACE_SHARES)
    payer = draw_payers(rng, ages)

    table: dict[str, np.ndarray] = {
        "patient_id": "PT" + unique_ids(rng, rows, 7),
        "mrn": unique_ids(rng, rows, 8),
        "full_name": full_name,
        "ssn": make_ssns(rng, rows),
        "phone": make_phones(rng, area_codes),
        "email": make_emails(rng, first, last),
        "street_address": make_streets(rng, pools["street"], rows),
        "race_ethnicity": rng.choice(races, size=rows, p=race_p).astype(object),
        "readmitted_30d": draw_readmitted(rng, dx, ages, los, payer),
        "age": ages,
        "admission": admission,
        "birth": birth,
        "female": female,
        "last": last,
        "dx": dx,
    }
    labs = draw_labs(rng, dx, ages, female)
    notes = make_notes(rng, table)

    frame = pd.DataFrame(
        {
            "patient_id": table["patient_id"],
            "mrn": table["mrn"],
            "full_name": full_name,
            "ssn": table["ssn"],
            "date_of_birth": birth.astype(str).astype(object),
            "phone": table["phone"],
            "email": table["email"],
            "street_address": table["street_address"],
            "zip": zips,
            "sex": np.where(female, "F", "M").astype(object),
            "race_ethnicity": table["race_ethnicity"],
            "admission_date": admission.astype(str).astype(object),
            "discharge_date": (admission + los).astype(str).astype(object),
            "age": ages.astype(np.int64),
            "diagnosis_icd10": np.array([d.code for d in DIAGNOSES], dtype=object)[dx],
            **labs,
            "length_of_stay_days": los,
            "readmitted_30d": table["readmitted_30d"],
            "payer": payer,
            "clinical_note": notes,
        }
    )
    return frame[COLUMNS]


def parse_args(argv: list[str] | None = None) -> argparse.Namespace:
    """Parse ``--rows``, ``--seed`` and ``--out``."""
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--rows", type=int, default=DEFAULT_ROWS)
    parser.add_argument("--seed", type=int, default=DEFAULT_SEED)
    parser.add_argument("--out", type=Path, default=DEFAULT_OUT)
    return parser.parse_args(argv)


def main(argv: list[str] | None = None) -> None:
    """Generate the table and write it as CSV, printing a one-line summary."""
    args = parse_args(argv)
    frame = generate(args.rows, args.seed)
    args.out.parent.mkdir(parents=True, exist_ok=True)
    frame.to_csv(args.out, index=False, lineterminator="\n")
    print(f"wrote {len(frame)} rows to {args.out}")


if __name__ == "__main__":
    main()
