"""Which values go together in one person (issue 17): presence indicators per person."""

from __future__ import annotations

import math

import numpy as np
import pandas as pd
import pytest
from scipy.stats import norm
from support import PERSON_KEY as KEY

from synth.errors import SchemaError
from synth.ledger import PrivacyLedger
from synth.linked import LinkedSynthesizer
from synth.linked_presence import (
    Presence,
    draw_children,
    measure_presence,
    presence_bound,
    presence_column,
    present_matrix,
    prevalence,
    sizes_given,
)
from synth.persons import RowsPerPerson
from synth.schema import parse_schema
from synth.schema.model import Column, ColumnType, Domain

CODES = ["flu", "preg", "cold", "gout", "rash", "acne"]


def tables(persons: int = 3000, seed: int = 0) -> dict[str, pd.DataFrame]:
    """Persons (sex) and their conditions: 'flu' in 80 % of persons, once each; 'preg' in
    60 % of women only; 'cold' in 40 %, 1-3 times; the rest rarer, 1-2 times."""
    rng = np.random.default_rng(seed)
    ids = [f"P{i:05d}" for i in range(persons)]
    sex = rng.choice(["F", "M"], persons)
    rows: list[tuple[str, str]] = []
    for i, pid in enumerate(ids):
        if rng.random() < 0.8:
            rows.append((pid, "flu"))
        if sex[i] == "F" and rng.random() < 0.6:
            rows.append((pid, "preg"))
        if rng.random() < 0.4:
            rows += [(pid, "cold")] * int(rng.integers(1, 4))
        for code, p in (("gout", 0.2), ("rash", 0.15), ("acne", 0.1)):
            if rng.random() < p:
                rows += [(pid, code)] * int(rng.integers(1, 3))
    people = pd.DataFrame({"Id": ids, "sex": sex})
    cond = pd.DataFrame(rows, columns=["PATIENT", "code"])
    return {"patients": people, "conditions": cond.sample(frac=1.0, random_state=seed)}


def schemas(declared: bool = True) -> dict:
    code: dict = {"name": "code", "type": "categorical", "role": "sensitive"}
    if declared:
        code["domain"] = {"categories": CODES}
    people = parse_schema(
        {
            "dataset": {"name": "patients"},
            "columns": [
                {"name": "Id", **KEY},
                {"name": "sex", "type": "categorical", "domain": {"categories": ["F", "M"]}},
            ],
        }
    )
    cond = parse_schema(
        {
            "dataset": {
                "name": "conditions",
                "max_rows_per_unit": "auto",
                "links": [{"column": "PATIENT", "table": "patients", "key": "Id"}],
            },
            "columns": [{"name": "PATIENT", **KEY}, code],
        }
    )
    return {"patients": people, "conditions": cond}


def shares(out: dict[str, pd.DataFrame], code: str) -> float:
    people, cond = out["patients"], out["conditions"]
    has = cond.loc[cond["code"] == code, "PATIENT"].unique()
    return float(people["Id"].isin(has).mean())


@pytest.fixture(scope="module")
def fitted() -> tuple[LinkedSynthesizer, dict[str, pd.DataFrame]]:
    data = tables()
    model = LinkedSynthesizer(schemas(), epsilon=8.0, delta=1e-6).fit(data)
    return model, data


def test_a_value_every_person_has_once_keeps_its_share_of_persons(fitted) -> None:
    model, _ = fitted
    assert model.presence["conditions"].values[0] == ("flu",)
    out = model.sample(seed=0)
    assert shares(out, "flu") == pytest.approx(0.8, abs=0.05)
    assert shares(out, "cold") == pytest.approx(0.4, abs=0.05)
    # the indicators co-vary with the person's columns: pregnancies only in women
    people = out["patients"].set_index("Id")
    preg = out["conditions"].loc[out["conditions"]["code"] == "preg", "PATIENT"].unique()
    assert (people.loc[preg, "sex"] == "F").mean() > 0.9
    assert out["conditions"]["PATIENT"].isin(out["patients"]["Id"]).all()


def test_without_presence_the_share_of_persons_is_wrong() -> None:
    """The check above can fail: rows drawn one by one given the person (presence off)
    give 'flu' to the wrong share of persons."""
    model = LinkedSynthesizer(schemas(), epsilon=8.0, presence_values=0).fit(tables())
    assert model.presence == {}
    out = model.sample(seed=0)
    assert abs(shares(out, "flu") - 0.8) > 0.1


def test_the_choice_is_charged_per_person_in_the_one_ledger(fitted) -> None:
    model, _ = fitted
    assert model.ledger is not None
    eps, dlt = model.ledger.spent()
    assert eps <= 8.0 * (1 + 1e-6) and dlt <= 1e-6 * (1 + 1e-6)
    picked = [c for c in model.ledger.charges if "presence" in c.purpose]
    assert len(picked) == 1 and picked[0].target.startswith("conditions:")
    pres = model.presence["conditions"]
    # a person adds 1 to each of ≤ bound values: L2 sensitivity √bound
    assert picked[0].rho == pytest.approx(pres.bound / (2 * pres.sigma**2))
    assert picked[0].delta == 0.0  # a declared list: no partition selection
    parts = model.parts
    assert sum(p["rho_share"] for p in parts.values()) == pytest.approx(1.0)
    assert parts["conditions: presence"]["rho"] == pytest.approx(pres.rho, rel=1e-6)
    # the person model holds the indicators; the released person table does not
    assert set(pres.names) <= set(model.view_schema("patients").names)
    assert not set(pres.names) & set(model.sample(seed=1)["patients"].columns)


def test_rows_hold_exactly_the_values_indicated(fitted) -> None:
    model, _ = fitted
    pres = model.presence["conditions"]
    rng = np.random.default_rng(3)
    persons, m = 400, len(pres.values)
    present = rng.random((persons, m)) < 0.4
    given = pd.DataFrame({"patients.sex": rng.choice(["F", "M"], persons)})
    sizes = present.sum(axis=1) + rng.integers(0, 3, persons)
    frame, person, stats = draw_children(
        model.models["conditions"], given, present, pres, sizes, rng
    )
    keys = pd.Series([f"k{i}" for i in range(persons)])
    frame = frame.assign(PATIENT=keys.to_numpy()[person])
    assert (present_matrix(keys, frame, "PATIENT", pres) == present).all()
    assert stats["forced_rows"] == int(present.sum())
    assert np.all(np.diff(person) >= 0)  # each person's rows together
    got = np.bincount(person, minlength=persons)
    assert (got >= present.sum(axis=1)).all()
    assert stats["dropped"] + len(frame) == int(sizes.sum())


def test_values_are_chosen_by_persons_and_a_value_of_one_person_is_not() -> None:
    rng = np.random.default_rng(0)
    rows = [(f"p{i}", "common") for i in range(300)] + [("p0", "unique")] * 50
    child = pd.DataFrame(rows, columns=["PATIENT", "code"])
    col = Column(name="code", type=ColumnType.CATEGORICAL)
    led = PrivacyLedger(5.0, 1e-6, unit="PATIENT")
    pres = measure_presence(
        child, table="c", link_column="PATIENT", columns=[col], ledger=led, rho=0.05, rng=rng
    )
    # 'unique' has 50 rows but one person: a count of persons cannot keep it
    assert pres.values == (("common",),)
    assert led.charges[0].delta > 0  # values seen: partition selection spends δ
    assert pres.threshold == pytest.approx(
        1 + pres.sigma * float(norm.isf(led.partition_delta / 10))
    )
    declared = col.model_copy(update={"domain": Domain(categories=["common", "unique", "x"])})
    led2 = PrivacyLedger(5.0, 1e-6, unit="PATIENT")
    pub = measure_presence(
        child,
        table="c",
        link_column="PATIENT",
        columns=[declared],
        ledger=led2,
        rho=0.05,
        rng=rng,
    )
    # a declared list: no δ; noise alone may add a value (chance ≤ 5 %), after 'common'
    assert pub.values[0] == ("common",) and led2.charges[0].delta == 0.0
    assert pub.sigma == pytest.approx(math.sqrt(10 / (2 * 0.05)))


def test_a_group_of_columns_is_one_value_per_tuple() -> None:
    rng = np.random.default_rng(0)
    child = pd.DataFrame(
        {
            "PATIENT": [f"p{i}" for i in range(200)] * 2,
            "code": ["1"] * 200 + ["2"] * 200,
            "text": ["one"] * 200 + ["two"] * 200,
        }
    )
    cols = [Column(name=n, type=ColumnType.CATEGORICAL) for n in ("code", "text")]
    led = PrivacyLedger(30.0, 1e-6, unit="PATIENT")
    pres = measure_presence(
        child, table="c", link_column="PATIENT", columns=cols, ledger=led, rho=0.5, rng=rng
    )
    assert set(pres.values) == {("1", "one"), ("2", "two")}
    assert pres.column == "code+text"
    assert prevalence(pd.Series(["p0", "zz"]), child, "PATIENT", pres).tolist() == [0.5, 0.5]


class _Mismatching:
    """A child model that draws code '1' with another code's text half the time."""

    def sample_given(self, given, sizes, *, seed=None):
        person = np.repeat(np.arange(len(given)), sizes)
        code = np.where(np.random.default_rng(seed).random(len(person)) < 0.5, "1", "3")
        frame = pd.DataFrame({"code": code, "text": "three", "c.code#repeat": "0"})
        for c in given.columns:
            frame[c] = given[c].to_numpy()[person]
        return frame, person

    def _assemble(self, frame, n, seed, person):
        return frame


def test_a_chosen_value_is_not_drawn_in_one_column_of_its_group_for_others() -> None:
    """Code '1' drawn with the text of code '3' still names the chosen value '1 | one':
    persons not indicated for it hold no row with code '1'."""
    pres = Presence("c", ("code", "text"), (("1", "one"),), ("c.code#1",), "", 1.0, 10, 1.0, 1.0)
    rng = np.random.default_rng(0)
    present = np.arange(200)[:, None] < 50  # the first 50 persons hold '1 | one'
    given = pd.DataFrame({"patients.sex": ["F"] * 200})
    frame, person, _ = draw_children(_Mismatching(), given, present, pres, np.full(200, 3), rng)
    ones = np.unique(person[frame["code"].to_numpy() == "1"])
    assert len(ones) == 50 and ones.max() < 50


def test_more_values_per_person_are_counted_when_the_budget_affords_it() -> None:
    """At most 10 values of a person counted undercounts a value held by persons with
    many: 300 persons of 30 values each hold 'a' (each counts it with chance 1/3), 200
    persons of one value hold 'b'; with a high budget the bound rises and 'a' ranks first."""
    rows = [(f"p{i}", v) for i in range(300) for v in ["a", *(f"x{i}-{j}" for j in range(29))]]
    rows += [(f"q{i}", "b") for i in range(200)]
    child = pd.DataFrame(rows, columns=["PATIENT", "code"])
    col = Column(name="code", type=ColumnType.CATEGORICAL)
    kw = dict(table="c", link_column="PATIENT", columns=[col], rng=np.random.default_rng(0))
    led = PrivacyLedger(50.0, 1e-6, unit="PATIENT")
    fixed = measure_presence(child, ledger=led, rho=5.0, values=2, **kw)
    assert fixed.bound == 10 and fixed.values[0] == ("b",)
    led = PrivacyLedger(50.0, 1e-6, unit="PATIENT")
    wide = measure_presence(child, ledger=led, rho=5.0, values=2, persons=500, **kw)
    assert wide.bound == 40 and wide.values[0] == ("a",)
    assert led.charges[0].rho == pytest.approx(5.0)  # the same charge, σ scaled with √bound
    assert presence_bound(0.001, 5e-9, None, 500) == 10  # a low budget keeps 10


def test_sizes_keep_the_drawn_counts_and_cover_the_indicated_values() -> None:
    rng = np.random.default_rng(0)
    model = RowsPerPerson(4, "declared", (0.4, 0.3, 0.2, 0.1), 1000, 0.0, 1.0)
    free = sizes_given(0.75, model, np.zeros(20000, dtype=int), rng)
    assert (free == 0).mean() == pytest.approx(0.25, abs=0.02)
    got = np.bincount(free[free > 0], minlength=5)[1:] / (free > 0).sum()
    assert np.abs(got - [0.4, 0.3, 0.2, 0.1]).max() < 0.02
    need = rng.integers(0, 4, 20000)
    sized = sizes_given(1.0, model, need, rng)
    assert (sized >= need).all() and (sized > 0).all()
    # the larger counts go to the persons with more values: the marginal is kept
    got = np.bincount(sized, minlength=5)[1:] / len(sized)
    assert np.abs(got - [0.4, 0.3, 0.2, 0.1]).max() < 0.02


def test_the_column_comes_from_the_schema_and_bad_names_are_refused() -> None:
    s = schemas(declared=False)
    assert presence_column(s["conditions"], "PATIENT") == "code"
    with pytest.raises(SchemaError, match="not a child table"):
        LinkedSynthesizer(s, epsilon=1.0, presence={"visits": "code"})
    with pytest.raises(SchemaError, match="not a modelled column"):
        LinkedSynthesizer(s, epsilon=1.0, presence={"conditions": "kind"})
    off = LinkedSynthesizer(s, epsilon=1.0, presence={"conditions": None})
    assert off.presence_columns == {}


def test_a_presence_model_describes_itself_without_real_counts(fitted) -> None:
    model, _ = fitted
    d = model.describe()
    pres = d["presence"]["conditions"]
    assert pres["values"][0] == "flu" and "√" in pres["sensitivity"]
    assert set(d["presence_floor"]) >= {"sd_share", "persons_estimate", "sigma_count"}
    assert isinstance(Presence, type)


def test_repeats_follow_the_value_once_each_or_several_times(fitted) -> None:
    """'flu' is held once by each person, 'cold' 1-3 times (2 on average): the child
    model's repeat column keeps that, which rows drawn freely would not."""
    model, data = fitted
    out = model.sample(seed=2)
    cond = out["conditions"]
    per = cond.groupby("code")["PATIENT"].agg(lambda s: len(s) / s.nunique())
    assert per["flu"] < 1.2  # ≈ 1.1 in six draws of three fits
    assert per["cold"] > per["flu"] + 0.35  # ≈ 1.7 (2 before the bound k cuts rows)
    flags = model.joined(
        model.link_of("conditions"), data["patients"], data["conditions"], raw=True
    )[model.presence["conditions"].repeat]
    real = data["conditions"]
    assert (flags == "1").sum() == len(real) - len(real.drop_duplicates())
    assert model.presence["conditions"].repeat not in cond.columns


def test_too_few_persons_choose_no_value_and_the_page_says_so() -> None:
    from synth.linked_report import links_report, render_links

    # 400 persons: too few for any value to clear partition selection at ε = 0.5 (0 of 60
    # fits chose one), enough that the child's DP row estimate clears the engine's minimum
    # (200 persons: 1 fit in 10 was refused as too small, a flaky test)
    data = tables(400)
    # values seen (no declared list): partition selection, a noise-only pick has chance
    # ≤ δ (with a declared list it would be 5 %)
    model = LinkedSynthesizer(schemas(declared=False), epsilon=0.5).fit(data)
    assert model.presence == {} and "conditions" in model.presence_tried
    assert model.describe()["presence"]["conditions"]["values"] == []
    out = model.sample(seed=0)
    assert out["conditions"]["PATIENT"].isin(out["patients"]["Id"]).all()
    report = links_report(model, data, out)
    assert report["tables"]["conditions"]["presence"]["values"] == []
    assert "No value was modelled per person" in render_links(report)
