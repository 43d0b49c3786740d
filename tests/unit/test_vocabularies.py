"""Public candidate vocabularies (country names): matched across spellings, drafted in the
column's own style, and the same list whichever names occur (issue 16)."""

from __future__ import annotations

import numpy as np
import pandas as pd

from privacy.countries import COUNTRIES
from privacy.vocabularies import candidate_vocabulary, spelling_key


def test_spellings_match_across_case_and_separators() -> None:
    assert spelling_key("United-States") == spelling_key("united_states") == "united states"
    assert spelling_key("Trinidad&Tobago") == spelling_key("Trinidad and Tobago")


def test_candidates_are_spelt_in_the_columns_style() -> None:
    hyphen = candidate_vocabulary(["United-States", "Puerto-Rico", "Mexico", "Unknown-place"])
    assert hyphen is not None and "El-Salvador" in hyphen and "El Salvador" not in hyphen
    upper = candidate_vocabulary(["UNITED STATES", "CANADA", "MEXICO"])
    assert upper is not None and "NEW ZEALAND" in upper
    lower = candidate_vocabulary(["germany", "france", "united_kingdom"])
    assert lower is not None and "south_africa" in lower


def test_list_does_not_tell_which_names_occur() -> None:
    a = candidate_vocabulary(["Germany", "France", "Spain", "Italy"])
    b = candidate_vocabulary(["Japan", "Peru", "Kenya"])
    assert a == b and len(a) == len(set(a)) >= len(COUNTRIES) - 10


def test_other_columns_get_no_candidates() -> None:
    assert candidate_vocabulary(["red", "green", "blue", "France"]) is None
    assert candidate_vocabulary(["France", "Spain"]) is None  # too few names to tell
    assert candidate_vocabulary(["Asian", "White", "Black", "Other"]) is None


def test_scan_drafts_country_column_as_candidates() -> None:
    from privacy import scan

    rng = np.random.default_rng(0)
    n = 2000
    names = ["United-States", "Mexico", "Philippines", "Germany", "Canada", "Elsewhere-X"]
    frame = pd.DataFrame(
        {
            "birth_country": rng.choice(names, n, p=[0.8, 0.08, 0.05, 0.03, 0.02, 0.02]),
            "colour": rng.choice(["red", "green", "blue"], n),
        }
    )
    draft = scan(frame, name="t").schema
    dom = draft.column("birth_country").domain
    assert dom is not None and dom.categories is None
    assert "United-States" in dom.candidates and "Elsewhere-X" not in dom.candidates
    assert draft.column("colour").domain is None


def test_fit_on_a_drafted_country_column_keeps_list_names_and_charges_them() -> None:
    from privacy import scan
    from synth.synthesizer import Synthesizer

    rng = np.random.default_rng(1)
    n = 3000
    names = ["United-States", "Mexico", "Philippines", "Elsewhere-X"]
    frame = pd.DataFrame(
        {
            "country": rng.choice(names, n, p=[0.85, 0.08, 0.04, 0.03]),
            "grade": rng.choice(["low", "high"], n),
        }
    )
    draft = scan(frame, name="t").schema
    model = Synthesizer(draft, epsilon=5.0).fit(frame)
    out = model.sample(2000, seed=0)
    allowed = set(draft.column("country").domain.candidates) | {"Elsewhere-X"}
    assert set(out["country"].dropna()) <= allowed
    assert abs((out["country"] == "United-States").mean() - 0.85) < 0.08
    purposes = [c.purpose for c in model.ledger.charges if c.target == "country"]
    assert purposes == ["category set (public candidates and partition selection)"]
