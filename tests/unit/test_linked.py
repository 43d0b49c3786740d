"""Linked tables under one person-level budget (issue 17, items 3 and 4)."""

from __future__ import annotations

import numpy as np
import pandas as pd
import pytest
from support import PERSON_KEY as KEY

from synth.errors import InputError, SchemaError
from synth.linked import LinkedSynthesizer, budget_split
from synth.schema import parse_schema
from synth.schema.model import ForeignKey


def tables(persons: int = 2000, seed: int = 0) -> dict[str, pd.DataFrame]:
    """Persons (sex, birth year) and their visits: women visit 'gyn', men 'uro', both
    'gp'; a quarter of persons never visit; 1-3 visits otherwise."""
    rng = np.random.default_rng(seed)
    ids = [f"P{i:05d}" for i in range(persons)]
    sex = rng.choice(["F", "M"], persons)
    people = pd.DataFrame({"Id": ids, "sex": sex, "born": rng.integers(1940, 2000, persons)})
    visits = rng.choice([0, 1, 2, 3], persons, p=[0.25, 0.35, 0.25, 0.15])
    owner = np.repeat(np.arange(persons), visits)
    special = np.where(sex[owner] == "F", "gyn", "uro")
    kind = np.where(rng.random(len(owner)) < 0.5, "gp", special)
    child = pd.DataFrame({"PATIENT": np.asarray(ids)[owner], "kind": kind})
    return {"patients": people, "visits": child}


def schemas(link_to: str = "patients", key: str = "Id", extra_links: list | None = None):
    people = parse_schema(
        {
            "dataset": {"name": "patients"},
            "columns": [
                {"name": "Id", **KEY},
                {"name": "sex", "type": "categorical", "domain": {"categories": ["F", "M"]}},
                {"name": "born", "type": "numerical", "domain": {"min": 1900, "max": 2010}},
            ],
        }
    )
    links = [{"column": "PATIENT", "table": link_to, "key": key}, *(extra_links or [])]
    visits = parse_schema(
        {
            "dataset": {"name": "visits", "max_rows_per_unit": "auto", "links": links},
            "columns": [
                {"name": "PATIENT", **KEY},
                {
                    "name": "kind",
                    "type": "categorical",
                    "domain": {"categories": ["gp", "gyn", "uro"]},
                },
            ],
        }
    )
    return {"patients": people, "visits": visits}


def test_budget_split_composes_to_the_whole_budget() -> None:
    eps_t, d_t = budget_split(1.0, 1e-6, 3)
    assert 0 < eps_t < 1.0 and d_t == pytest.approx(1e-6 / 3)


def test_children_join_follow_their_person_and_the_budget_holds() -> None:
    model = LinkedSynthesizer(schemas(), epsilon=4.0, delta=1e-6).fit(tables())
    assert model.ledger is not None
    eps, dlt = model.ledger.spent()
    assert eps <= 4.0 + 1e-6 and dlt <= 1e-6 * (1 + 1e-6)
    assert {c.target.split(":")[0] for c in model.ledger.charges} == {"patients", "visits"}
    # the visits' rows per person over every person (0 included): one charge, its own part
    rows = [c for c in model.ledger.charges if c.purpose.startswith("rows per person, 0")]
    assert len(rows) == 1 and rows[0].rho <= model.parts["visits: rows per person"]["rho"]
    out = model.sample(seed=0)
    people, visits = out["patients"], out["visits"]
    assert visits["PATIENT"].isin(people["Id"]).all()  # every link joins
    assert list(visits.columns) == ["PATIENT", "kind"]
    joined = visits.merge(people, left_on="PATIENT", right_on="Id")
    # a child drawn given its person: gyn visits go to women, uro visits to men
    assert (joined.loc[joined["kind"] == "gyn", "sex"] == "F").mean() > 0.9
    assert (joined.loc[joined["kind"] == "uro", "sex"] == "M").mean() > 0.9
    # children per person, zero included: 25 / 35 / 25 / 15 %
    per = visits.groupby("PATIENT").size().reindex(people["Id"], fill_value=0)
    got = np.bincount(np.minimum(per, 3), minlength=4) / len(per)
    assert 0.5 * np.abs(got - [0.25, 0.35, 0.25, 0.15]).sum() <= 0.1


def test_without_conditioning_the_link_check_fails() -> None:
    """The check above can fail: children drawn with shuffled persons lose the link."""
    model = LinkedSynthesizer(schemas(), epsilon=4.0).fit(tables())
    out = model.sample(seed=0)
    people, visits = out["patients"], out["visits"]
    shuffled = visits.assign(PATIENT=np.random.default_rng(0).permutation(visits["PATIENT"]))
    joined = shuffled.merge(people, left_on="PATIENT", right_on="Id")
    assert (joined.loc[joined["kind"] == "gyn", "sex"] == "F").mean() < 0.7


def test_keys_that_do_not_join_are_refused_without_values() -> None:
    data = tables(200)
    data["visits"].loc[0, "PATIENT"] = "ZZ-SECRET-1"
    with pytest.raises(InputError, match="do not join") as err:
        LinkedSynthesizer(schemas(), epsilon=1.0).fit(data)
    assert "ZZ-SECRET" not in str(err.value)


def test_missing_key_column_and_repeated_person_keys_are_refused() -> None:
    data = tables(200)
    with pytest.raises(InputError, match="'PATIENT' is missing"):
        LinkedSynthesizer(schemas(), epsilon=1.0).fit(
            {**data, "visits": data["visits"].drop(columns="PATIENT")}
        )
    people = data["patients"].copy()
    people.loc[1, "Id"] = people.loc[0, "Id"]
    with pytest.raises(InputError, match="each person once"):
        LinkedSynthesizer(schemas(), epsilon=1.0).fit({**data, "patients": people})


def test_bad_links_name_the_tables() -> None:
    with pytest.raises(SchemaError, match="not given"):
        LinkedSynthesizer(schemas(link_to="people"), epsilon=1.0)
    with pytest.raises(SchemaError, match="not a column"):
        LinkedSynthesizer(schemas(key="pid"), epsilon=1.0)
    s = schemas()
    looped = s["patients"].model_copy(
        update={
            "dataset": s["patients"].dataset.model_copy(
                update={"links": [ForeignKey(column="Id", table="visits", key="PATIENT")]}
            )
        }
    )
    with pytest.raises(SchemaError, match="cycle: patients → visits → patients"):
        LinkedSynthesizer({**s, "patients": looped}, epsilon=1.0)


def test_persons_without_any_child_rows_give_an_empty_child_table() -> None:
    model = LinkedSynthesizer(schemas(), epsilon=4.0).fit(tables(300))
    frame, person = model.models["visits"].sample_given(
        pd.DataFrame({"patients.sex": ["F", "M"], "patients.born": [1950, 1960]}), [0, 0]
    )
    assert len(frame) == 0 and len(person) == 0
    assert "PATIENT" in frame.columns
