"""Column PII benchmark (issue 19): direct identifiers and quasi-identifiers of labelled
tables, with their own headers and with unfamiliar ones, and what ``strip`` leaves.

    python benchmarks/pii_columns_bench.py [--rows 300] [--json out/bench-pii-columns.json]
                                           [--code DIR] [--no-peer]

Tables (every column labelled here, built from a seed, nothing downloaded):

* ``patients_<locale>``: Synthea-style patient tables generated with Faker in six locales
  (en_US, en_GB, en_CA, en_AU, de_DE, fr_FR): local names, national numbers, street
  addresses (a third with a "Unit NN"), postcodes (UK ones as districts, like "LA4"),
  regions, coordinates; ``..._renamed``: the same table with unfamiliar headers
  (ADDRESS→Home, SSN→TaxRef, FIRST→Given, ...);
* ``census_acs``: an ACS-PUMS-style person table (PUMA, ST, AGEP, RAC1P, HISP, MAR, SEX,
  WAGP, ...) with realistic code lists: no direct identifier; geography, age, race,
  ethnicity, sex and marital status are quasi-identifiers;
* ``synthea_patients`` (and ``_renamed``) from ../shared/datasets when present, labelled by
  benchmarks/scanner_labels.yaml;
* prose: Faker street addresses of twelve locales (street only, or with city and postcode)
  in sentences written here, found by the address recognizer alone (recall: ≥ 90 % of
  the address's characters covered), and its matches on the sample clinical notes, which
  hold no address.

Scores per table: direct-identifier precision / recall (role ``direct_identifier``),
quasi-identifier recall over the labelled demographic and geographic columns, and on the
``strip`` copy made with the scan's own draft: street addresses kept verbatim, postcodes
written as "000", birth years written with a decimal point, death dates kept to the day.
Peer: Presidio's own AnalyzerEngine over ≤100 sampled values per column (a column is a
direct identifier when ≥50 % of them carry a direct entity), same offline NLP engine.

``--code DIR`` imports ``privacy``/``synth`` from another tree (the "before" figures:
``git worktree add /tmp/h1-old 6241e30`` then ``--code /tmp/h1-old``). Output: column
names, counts and rates only, never a value.
"""

from __future__ import annotations

import argparse
import json
import os
import re
import sys
import time
import uuid
import warnings
from pathlib import Path
from typing import Any

import numpy as np
import pandas as pd

ROOT = Path(__file__).resolve().parents[1]
SHARED = Path(os.environ.get("STEWARD_SHARED", ROOT.parent / "shared")) / "datasets"
LOCALES = ["en_US", "en_GB", "en_CA", "en_AU", "de_DE", "fr_FR"]
DIRECT = ["Id", "BIRTHDATE", "SSN", "DRIVERS", "PASSPORT", "FIRST", "LAST", "MAIDEN"]
DIRECT += ["ADDRESS", "LAT", "LON"]
QUASI = ["PREFIX", "MARITAL", "RACE", "ETHNICITY", "GENDER", "BIRTHPLACE", "CITY", "STATE"]
QUASI += ["COUNTY", "ZIP", "DEATHDATE"]
#: unfamiliar headers for the same columns (none is in the header rules as such)
UNFAMILIAR = {
    "Id": "Ref",
    "BIRTHDATE": "Born",
    "SSN": "TaxRef",
    "DRIVERS": "Licence",
    "PASSPORT": "TravelDoc",
    "FIRST": "Given",
    "LAST": "Family",
    "MAIDEN": "BirthSurname",
    "ADDRESS": "Home",
    "ZIP": "Post",
    "LAT": "Y",
    "LON": "X",
}
PREFIXES = {
    "de_DE": (["Herr"], ["Frau"]),
    "fr_FR": (["M."], ["Mme", "Mlle"]),
    "en_GB": (["Mr"], ["Mrs", "Ms", "Miss"]),
}
RACES = {
    "en_GB": ["White British", "White Irish", "Asian", "Black", "Mixed", "Other"],
    "en_CA": ["white", "asian", "black", "first nations", "other"],
    "en_AU": ["white", "asian", "aboriginal", "other"],
}
#: (latitude, longitude) of a region per locale: homes spread ±1 degree around it
CENTRES = {
    "en_US": (42.3, -71.1),
    "en_GB": (53.5, -2.2),
    "en_CA": (43.7, -79.4),
    "en_AU": (-33.9, 151.2),
    "de_DE": (48.1, 11.6),
    "fr_FR": (48.9, 2.35),
}


def _digits(rng: np.random.Generator, k: int) -> str:
    return "".join(str(d) for d in rng.integers(0, 10, k))


def build_patients(locale: str, rows: int = 300, seed: int = 0) -> pd.DataFrame:
    """A Synthea-style patient table in ``locale`` (labels: :data:`DIRECT`, :data:`QUASI`)."""
    from faker import Faker

    fake = Faker(locale)
    fake.seed_instance(seed)
    rng = np.random.default_rng(seed)
    lat0, lon0 = CENTRES[locale]
    out: dict[str, list[Any]] = {c: [] for c in DIRECT + QUASI}
    out["HEALTHCARE_EXPENSES"] = []
    regions = [fake.administrative_unit() for _ in range(8)]
    cities = [fake.city() for _ in range(25)]
    for _ in range(rows):
        female = bool(rng.random() < 0.5)
        born = pd.Timestamp("1925-01-01") + pd.Timedelta(days=int(rng.integers(0, 36_000)))
        adult = born < pd.Timestamp("2008-01-01")
        out["Id"].append(str(uuid.UUID(int=int(rng.integers(0, 2**62)) << 64 | 7)))
        out["BIRTHDATE"].append(born.strftime("%Y-%m-%d"))
        dead = rng.random() < 0.12
        death = born + pd.Timedelta(days=int(rng.integers(3_000, 30_000)))
        out["DEATHDATE"].append(
            death.strftime("%Y-%m-%d") if dead and death < pd.Timestamp("2025-01-01") else None
        )
        out["SSN"].append(fake.ssn())
        out["DRIVERS"].append(f"S{_digits(rng, 8)}" if adult else None)
        out["PASSPORT"].append(
            f"X{_digits(rng, int(rng.integers(7, 9)))}X" if adult and rng.random() < 0.8 else None
        )
        male_p, female_p = PREFIXES.get(locale, (["Mr."], ["Mrs.", "Ms."]))
        out["PREFIX"].append(str(rng.choice(female_p if female else male_p)) if adult else None)
        first = fake.first_name_female() if female else fake.first_name_male()
        out["FIRST"].append(first)
        out["LAST"].append(fake.last_name())
        out["MAIDEN"].append(fake.last_name() if female and rng.random() < 0.4 else None)
        out["MARITAL"].append(str(rng.choice(["M", "S", "D", "W"])) if adult else None)
        out["RACE"].append(
            str(rng.choice(RACES.get(locale, ["white", "black", "asian", "hispanic", "other"])))
        )
        out["ETHNICITY"].append(str(rng.choice(["hispanic", "nonhispanic"], p=[0.1, 0.9])))
        out["GENDER"].append("F" if female else "M")
        out["BIRTHPLACE"].append(f"{rng.choice(cities)}  {rng.choice(regions)}  {locale[-2:]}")
        street = " ".join(fake.street_address().split())
        if locale.startswith("en") and rng.random() < 0.33:
            street = f"{street} Unit {rng.integers(1, 99)}"
        out["ADDRESS"].append(street)
        out["CITY"].append(str(rng.choice(cities)))
        out["STATE"].append(str(rng.choice(regions)))
        out["COUNTY"].append(
            str(rng.choice(regions[:4])) + (" County" if locale == "en_US" else "")
        )
        code = fake.postcode()
        out["ZIP"].append(code.split()[0] if locale == "en_GB" else code)
        out["LAT"].append(repr(lat0 + float(rng.uniform(-1, 1))))
        out["LON"].append(repr(lon0 + float(rng.uniform(-1, 1))))
        out["HEALTHCARE_EXPENSES"].append(f"{rng.uniform(1e3, 2e6):.2f}")
    return pd.DataFrame(out)


#: ACS PUMS person columns: the demographic and geographic ones are quasi-identifiers
CENSUS_QUASI = ["PUMA", "ST", "REGION", "DIVISION", "AGEP", "RAC1P", "HISP", "MAR", "SEX"]
CENSUS_QUASI += ["POBP", "CIT", "NATIVITY", "SCHL", "COW", "OCCP"]
CENSUS_OTHER = ["PWGTP", "WKHP", "WAGP", "PINCP", "DIS", "JWMNP"]


def build_census(rows: int = 1000, seed: int = 0) -> pd.DataFrame:
    """An ACS-PUMS-style person table with realistic code lists (no direct identifier)."""
    rng = np.random.default_rng(seed)
    states = ["06", "36", "48", "12", "17", "25", "53", "04", "13", "39"]
    pumas = [f"{x:05d}" for x in rng.choice(np.arange(100, 4000), 40, replace=False)]
    age = np.clip(rng.gamma(4.0, 10.0, rows), 0, 95).astype(int)
    wages = np.where(age >= 16, np.round(rng.lognormal(10.3, 1.0, rows), -2), 0).astype(int)
    st = rng.choice(states, rows)
    return pd.DataFrame(
        {
            "PUMA": rng.choice(pumas, rows),
            "ST": st,
            "REGION": [str(1 + states.index(s) % 4) for s in st],
            "DIVISION": [str(1 + states.index(s) % 9) for s in st],
            "AGEP": age.astype(str),
            "RAC1P": rng.choice(
                [str(i) for i in range(1, 10)],
                rows,
                p=[0.62, 0.12, 0.01, 0.005, 0.005, 0.06, 0.002, 0.1, 0.078],
            ),
            "HISP": np.where(rng.random(rows) < 0.8, "1", rng.integers(2, 25, rows).astype(str)),
            "MAR": rng.choice(["1", "2", "3", "4", "5"], rows, p=[0.45, 0.06, 0.1, 0.02, 0.37]),
            "SEX": rng.choice(["1", "2"], rows),
            "POBP": rng.choice([f"{x:03d}" for x in [6, 36, 48, 12, 17, 210, 303, 330, 207]], rows),
            "CIT": rng.choice(["1", "2", "3", "4", "5"], rows, p=[0.8, 0.01, 0.01, 0.1, 0.08]),
            "NATIVITY": rng.choice(["1", "2"], rows, p=[0.86, 0.14]),
            "SCHL": rng.integers(1, 25, rows).astype(str),
            "COW": np.where(age >= 16, rng.integers(1, 10, rows).astype(str), ""),
            "OCCP": rng.choice([f"{x:04d}" for x in rng.integers(10, 9830, 60)], rows),
            "PWGTP": rng.integers(1, 400, rows).astype(str),
            "WKHP": np.where(age >= 16, rng.integers(1, 99, rows).astype(str), ""),
            "WAGP": wages.astype(str),
            "PINCP": (wages + rng.integers(0, 20_000, rows)).astype(str),
            "DIS": rng.choice(["1", "2"], rows, p=[0.13, 0.87]),
            "JWMNP": np.where(age >= 16, rng.integers(1, 120, rows).astype(str), ""),
        }
    ).replace("", None)


def shared_synthea() -> tuple[pd.DataFrame, set[str], set[str]] | None:
    import yaml

    path = SHARED / "synthea" / "patients.csv"
    if not path.exists():
        return None
    spec = yaml.safe_load((ROOT / "benchmarks" / "scanner_labels.yaml").read_text())
    cols = spec["tables"]["synthea_patients"]["columns"]
    df = pd.read_csv(path, dtype=str, keep_default_na=False, na_values=[""])
    direct = {c for c, lab in cols.items() if lab["direct"]}
    quasi = {c for c, lab in cols.items() if lab.get("role") == "quasi_identifier"}
    return df, direct, quasi


def tables(rows: int) -> list[tuple[str, pd.DataFrame, set[str], set[str]]]:
    """(name, table, direct-identifier columns, quasi-identifier columns)."""
    out = []
    for loc in LOCALES:
        df = build_patients(loc, rows, seed=LOCALES.index(loc))
        out.append((f"patients_{loc}", df, set(DIRECT), set(QUASI)))
        ren = df.rename(columns=UNFAMILIAR)
        direct = {UNFAMILIAR.get(c, c) for c in DIRECT}
        quasi = {UNFAMILIAR.get(c, c) for c in QUASI}
        out.append((f"patients_{loc}_renamed", ren, direct, quasi))
    syn = shared_synthea()
    if syn is not None:
        df, direct, quasi = syn
        out.append(("synthea_patients", df, direct, quasi))
        ren = df.rename(columns=UNFAMILIAR)
        out.append(
            (
                "synthea_patients_renamed",
                ren,
                {UNFAMILIAR.get(c, c) for c in direct},
                {UNFAMILIAR.get(c, c) for c in quasi},
            )
        )
    out.append(("census_acs", build_census(max(rows, 1000)), set(), set(CENSUS_QUASI)))
    return out


def prf(flagged: set[str], truth: set[str]) -> dict[str, Any]:
    tp = len(flagged & truth)
    return {
        "tp": tp,
        "fp": len(flagged - truth),
        "fn": len(truth - flagged),
        "precision": round(tp / len(flagged), 3) if flagged else 1.0,
        "recall": round(tp / len(truth), 3) if truth else 1.0,
        "missed": sorted(truth - flagged),
        "false": sorted(flagged - truth),
    }


_FULL_DATE = re.compile(r"^\d{4}-\d{2}-\d{2}")


def strip_leaks(df: pd.DataFrame, result: Any, strip: Any) -> dict[str, int]:
    """What ``strip`` with the scan's draft leaves: counts only."""
    out, _ = strip(df, result.schema, seed=0)
    text = out.astype(str)
    cells = set(text.to_numpy().ravel().tolist())
    addr = "ADDRESS" if "ADDRESS" in df.columns else "Home"
    zip_col = "ZIP" if "ZIP" in df.columns else "Post"
    born = "BIRTHDATE" if "BIRTHDATE" in df.columns else "Born"
    addresses = df[addr].dropna().astype(str)
    res = {
        "addresses": len(addresses),
        "addresses_verbatim": int(sum(1 for a in addresses if a in cells)),
        "postcodes_000": int((text[zip_col] == "000").sum()) if zip_col in out else 0,
        "birth_years_with_decimal": int(text[born].str.contains(r"\.0$").sum())
        if born in out
        else 0,
        "death_dates_to_the_day": int(text["DEATHDATE"].str.match(_FULL_DATE).sum())
        if "DEATHDATE" in out
        else 0,
    }
    return res


def peer_direct(df: pd.DataFrame) -> set[str]:
    """Columns Presidio's own analyzer calls direct identifiers (≥50 % of sampled values)."""
    from scanner_peers import presidio_columns

    direct = {
        "PERSON",
        "US_SSN",
        "UK_NHS",
        "UK_NINO",
        "PHONE_NUMBER",
        "EMAIL_ADDRESS",
        "CREDIT_CARD",
        "IBAN_CODE",
        "IP_ADDRESS",
        "URL",
        "US_DRIVER_LICENSE",
        "US_PASSPORT",
        "US_BANK_NUMBER",
        "US_ITIN",
        "MEDICAL_LICENSE",
        "LOCATION",
    }
    return {c for c, ent in presidio_columns(df).items() if ent in direct}


#: sentences an address is put in (written here); the address must be covered whole
PROSE = [
    "Patient lives at {a} with her husband.",
    "Home address: {a}.",
    "Discharged to {a}; daughter will visit.",
    "Moved last spring to {a}",
    "Correspondence to {a}, per the patient's request.",
]
PROSE_LOCALES = [*LOCALES, "en_IE", "en_NZ", "nl_NL", "es_ES", "it_IT", "de_AT"]


def prose_addresses(per_locale: int = 150, seed: int = 0) -> dict[str, Any]:
    """Street-address recall of the address recognizer alone in sentences (street only or
    with city and postcode), per locale, and its matches on the sample clinical notes."""
    from faker import Faker

    from privacy.recognizers.address import StreetAddressRecognizer

    rec = StreetAddressRecognizer()
    rng = np.random.default_rng(seed)
    per: dict[str, float] = {}
    found_all = total = 0
    t0 = time.perf_counter()
    for loc in PROSE_LOCALES:
        fake = Faker(loc)
        fake.seed_instance(seed + 100)
        hit = 0
        for _ in range(per_locale):
            street = ", ".join(fake.street_address().split("\n"))
            addr = street if rng.random() < 0.5 else f"{street}, {fake.city()} {fake.postcode()}"
            text = str(rng.choice(PROSE)).format(a=addr)
            start = text.index(addr)
            spans = [r for r in rec.analyze(text, ["STREET_ADDRESS"]) if r.score >= 0.4]
            covered = set()
            for r in spans:
                covered |= set(range(r.start, r.end))
            hit += len(covered & set(range(start, start + len(addr)))) >= 0.9 * len(addr)
        per[loc] = round(hit / per_locale, 3)
        found_all += hit
        total += per_locale
    notes = pd.read_csv(ROOT / "sample_data" / "patients.csv")["clinical_note"].dropna()
    notes = notes.astype(str).tolist()[:3000]
    false = sum(1 for t in notes for r in rec.analyze(t, ["STREET_ADDRESS"]) if r.score >= 0.4)
    return {
        "recall_by_locale": per,
        "recall": round(found_all / total, 3),
        "addresses": total,
        "sample_notes": len(notes),
        "matches_in_sample_notes": false,
        "seconds": round(time.perf_counter() - t0, 2),
    }


def run(rows: int, peer: bool) -> dict[str, Any]:
    from privacy import scan
    from privacy.stripping import strip

    per: dict[str, Any] = {}
    totals = {"ours": [0, 0, 0], "peer": [0, 0, 0]}
    for name, df, direct, quasi in tables(rows):
        t0 = time.perf_counter()
        result = scan(df, name=name, seed=0)
        secs = time.perf_counter() - t0
        roles = {f.name: f.role for f in result.findings}
        flagged = {c for c, r in roles.items() if r == "direct_identifier"}
        found_q = {c for c, r in roles.items() if r in ("quasi_identifier", "direct_identifier")}
        row: dict[str, Any] = {
            "rows": len(df),
            "columns": len(df.columns),
            "seconds": round(secs, 2),
            "direct": prf(flagged, direct),
            "quasi_recall": round(len(found_q & quasi) / len(quasi), 3) if quasi else None,
            "quasi_missed": sorted(quasi - found_q),
        }
        if name.startswith(("patients", "synthea")):
            row["strip"] = strip_leaks(df, result, strip)
        if peer:
            p = prf(peer_direct(df), direct)
            row["peer_presidio"] = p
            for k, v in zip(("tp", "fp", "fn"), (p["tp"], p["fp"], p["fn"]), strict=True):
                totals["peer"][("tp", "fp", "fn").index(k)] += v
        d = row["direct"]
        for i, k in enumerate(("tp", "fp", "fn")):
            totals["ours"][i] += d[k]
        per[name] = row
    overall = {}
    for who, (tp, fp, fn) in totals.items():
        if who == "peer" and not peer:
            continue
        overall[who] = {
            "precision": round(tp / (tp + fp), 3) if tp + fp else 1.0,
            "recall": round(tp / (tp + fn), 3) if tp + fn else 1.0,
        }
    return {"tables": per, "overall_direct": overall}


def show(res: dict[str, Any]) -> None:
    head = f"{'table':34} {'P':>5} {'R':>5} {'QI rec':>6} {'peer P':>6} {'peer R':>6}  strip leaks"
    print(head)
    for name, r in res["tables"].items():
        d = r["direct"]
        peer = r.get("peer_presidio", {})
        q = "" if r["quasi_recall"] is None else f"{r['quasi_recall']:.2f}"
        s = r.get("strip")
        leaks = (
            ""
            if s is None
            else f"addr {s['addresses_verbatim']}/{s['addresses']}, zip000 {s['postcodes_000']}, "
            f"year.0 {s['birth_years_with_decimal']}, death-day {s['death_dates_to_the_day']}"
        )
        print(
            f"{name:34} {d['precision']:5.2f} {d['recall']:5.2f} {q:>6} "
            f"{peer.get('precision', float('nan')):6.2f} {peer.get('recall', float('nan')):6.2f}"
            f"  {leaks}"
        )
        if d["missed"] or d["false"] or r["quasi_missed"]:
            print(f"{'':34} missed {d['missed']} false {d['false']} QI missed {r['quasi_missed']}")
    print("overall direct:", res["overall_direct"])


def main() -> None:
    ap = argparse.ArgumentParser(description=__doc__.split("\n\n")[0])
    ap.add_argument("--rows", type=int, default=300)
    ap.add_argument("--json", type=Path, default=None)
    ap.add_argument("--code", type=Path, default=ROOT, help="tree to import privacy/synth from")
    ap.add_argument("--no-peer", action="store_true")
    args = ap.parse_args()
    warnings.filterwarnings("ignore")
    sys.path.insert(0, str(ROOT / "benchmarks"))
    sys.path.insert(0, str(args.code.resolve()))
    res = run(args.rows, not args.no_peer)
    res["code"] = str(args.code)
    show(res)
    res["prose_addresses"] = prose_addresses()
    pa = res["prose_addresses"]
    print(
        f"street addresses in prose (address recognizer alone, {pa['addresses']} sentences): "
        f"recall {pa['recall']:.3f}; matches in {pa['sample_notes']} sample notes (no "
        f"addresses in them): {pa['matches_in_sample_notes']}"
    )
    print("  by locale:", pa["recall_by_locale"])
    if args.json:
        args.json.parent.mkdir(parents=True, exist_ok=True)
        args.json.write_text(json.dumps(res, indent=2))


if __name__ == "__main__":
    main()
