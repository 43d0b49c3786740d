"""Links deeper than one level (issue 17): patients → visits → labs, where a lab row
names its visit (and its patient), under one person-level budget."""

from __future__ import annotations

import numpy as np
import pandas as pd
import pytest
from support import PERSON_KEY as KEY

from synth.errors import InputError, SchemaError
from synth.linked import LinkedSynthesizer
from synth.linked_counts import labels
from synth.linked_graph import find_cycle
from synth.schema import parse_schema
from synth.schema.model import ForeignKey


def tables(persons: int = 1500, seed: int = 0) -> dict[str, pd.DataFrame]:
    """Persons (sex, birth year); visits of class 'er' or 'gp' (women mostly 'gp'); labs on a visit:
    'ecg' on 'er' visits, 'a1c' on 'gp' visits; an 'er' visit has 2 labs, a 'gp' visit 0
    or 1."""
    rng = np.random.default_rng(seed)
    ids = np.array([f"P{i:05d}" for i in range(persons)])
    sex = rng.choice(["F", "M"], persons)
    people = pd.DataFrame({"Id": ids, "sex": sex, "born": rng.integers(1930, 2005, persons)})
    n = rng.choice([1, 2, 3], persons, p=[0.4, 0.4, 0.2])
    owner = np.repeat(np.arange(persons), n)
    er = rng.random(len(owner)) < np.where(sex[owner] == "F", 0.2, 0.7)
    visits = pd.DataFrame(
        {
            "Id": [f"V{i:06d}" for i in range(len(owner))],
            "PATIENT": ids[owner],
            "cls": np.where(er, "er", "gp"),
        }
    )
    labs_per = np.where(er, 2, rng.choice([0, 1], len(owner)))
    v = np.repeat(np.arange(len(owner)), labs_per)
    labs = pd.DataFrame(
        {
            "PATIENT": ids[owner][v],
            "VISIT": visits["Id"].to_numpy()[v],
            "test": np.where(er[v], "ecg", "a1c"),
        }
    )
    return {"patients": people, "visits": visits, "labs": labs}


def schemas(labs_links: list[dict] | None = None) -> dict:
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
    visits = parse_schema(
        {
            "dataset": {
                "name": "visits",
                "max_rows_per_unit": 3,
                "links": [{"column": "PATIENT", "table": "patients", "key": "Id"}],
            },
            "columns": [
                {"name": "Id", **KEY},
                {"name": "PATIENT", **KEY},
                {"name": "cls", "type": "categorical", "domain": {"categories": ["er", "gp"]}},
            ],
        }
    )
    links = labs_links or [
        {"column": "VISIT", "table": "visits", "key": "Id"},
        {"column": "PATIENT", "table": "patients", "key": "Id"},
    ]
    labs = parse_schema(
        {
            "dataset": {"name": "labs", "max_rows_per_unit": 6, "links": links},
            "columns": [
                {"name": "PATIENT", **KEY},
                {"name": "VISIT", **KEY},
                {"name": "test", "type": "categorical", "domain": {"categories": ["a1c", "ecg"]}},
            ],
        }
    )
    return {"patients": people, "visits": visits, "labs": labs}


@pytest.fixture(scope="module")
def fitted() -> tuple[LinkedSynthesizer, dict[str, pd.DataFrame]]:
    model = LinkedSynthesizer(schemas(), epsilon=8.0, presence={"labs": None, "visits": None})
    return model.fit(tables()), tables()


def test_grandchild_rows_join_at_both_levels_and_follow_their_visit(fitted) -> None:
    model, _ = fitted
    assert [(x.child, x.parent) for x in model.links] == [
        ("visits", "patients"),
        ("labs", "visits"),
    ]
    out = model.sample(seed=0)
    people, visits, labs = out["patients"], out["visits"], out["labs"]
    assert list(labs.columns) == ["PATIENT", "VISIT", "test"]
    assert visits["Id"].is_unique
    assert visits["PATIENT"].isin(people["Id"]).all()
    assert labs["VISIT"].isin(visits["Id"]).all()  # every grandchild joins its visit
    # ... and names the patient of that visit
    j = labs.merge(visits, left_on="VISIT", right_on="Id", suffixes=("", "_v"))
    assert len(j) == len(labs) and (j["PATIENT"] == j["PATIENT_v"]).all()
    # the lab follows the visit it is drawn for: ecg on er visits, a1c on gp visits
    assert ((j["test"] == "ecg") == (j["cls"] == "er")).mean() > 0.85
    # er visits carry more labs than gp visits (the parent model's count column)
    per = labs.groupby("VISIT").size().reindex(visits["Id"], fill_value=0).to_numpy()
    er = visits["cls"].to_numpy() == "er"
    assert per[er].mean() > per[~er].mean() + 0.5


def test_the_grandchild_is_fitted_per_person_within_one_budget(fitted) -> None:
    model, _ = fitted
    assert model.ledger is not None
    eps, dlt = model.ledger.spent()
    assert eps <= 8.0 + 1e-6 and dlt <= 1e-6 * (1 + 1e-6)
    labs = model.models["labs"]
    assert labs.schema.dataset.privacy_unit == "patients.Id"  # the person, not the visit
    assert labs.persons is not None and labs.persons.k == 6
    assert "visits.cls" in labs.schema.names
    assert "labs#rows" in model.models["visits"].schema.names
    bounds = model.describe()["bounds"]
    assert bounds["labs"]["rows_per_person"] == 6
    assert bounds["labs"]["person_found_by"] == "labs → visits → patients"
    assert bounds["labs"]["one_marginal_l2"] == 6
    targets = {c.target.split(":")[0] for c in model.ledger.charges}
    assert targets == {"patients", "visits", "labs"}


def test_a_grandchild_without_a_patient_column_finds_its_person_through_the_visit() -> None:
    data = tables(600)
    data["labs"] = data["labs"].drop(columns="PATIENT")
    s = schemas([{"column": "VISIT", "table": "visits", "key": "Id"}])
    cols = [c for c in s["labs"].columns if c.name != "PATIENT"]
    s["labs"] = s["labs"].model_copy(update={"columns": cols})
    out = LinkedSynthesizer(s, epsilon=4.0).fit(data).sample(seed=1)
    assert list(out["labs"].columns) == ["VISIT", "test"]
    assert out["labs"]["VISIT"].isin(out["visits"]["Id"]).all()


def test_grandchild_keys_that_do_not_join_or_disagree_are_refused_without_values() -> None:
    data = tables(300)
    labs = data["labs"].copy()
    labs.loc[0, "VISIT"] = "ZZ-SECRET-9"
    with pytest.raises(InputError, match=r"labs.VISIT: some values have no row in visits.Id"):
        LinkedSynthesizer(schemas(), epsilon=1.0).fit({**data, "labs": labs})
    labs = data["labs"].copy()
    other = data["patients"]["Id"][data["patients"]["Id"] != labs.loc[0, "PATIENT"]].iloc[0]
    labs.loc[0, "PATIENT"] = other
    with pytest.raises(InputError, match="the two links disagree") as err:
        LinkedSynthesizer(schemas(), epsilon=1.0).fit({**data, "labs": labs})
    assert other not in str(err.value)
    visits = data["visits"].copy()
    visits.loc[1, "Id"] = visits.loc[0, "Id"]
    with pytest.raises(InputError, match="visits: key column 'Id' must name each row once"):
        LinkedSynthesizer(schemas(), epsilon=1.0).fit({**data, "visits": visits})
    with pytest.raises(InputError, match="labs: key column 'VISIT' is missing"):
        LinkedSynthesizer(schemas(), epsilon=1.0).fit(
            {**data, "labs": data["labs"].drop(columns="VISIT")}
        )


def test_cycles_and_links_to_missing_tables_name_the_tables() -> None:
    s = schemas()
    cyc = s["visits"].dataset.model_copy(
        update={"links": [ForeignKey(column="PATIENT", table="labs", key="VISIT")]}
    )
    looped = {**s, "visits": s["visits"].model_copy(update={"dataset": cyc})}
    assert find_cycle(looped) == ["labs", "visits", "labs"]
    with pytest.raises(SchemaError, match="cycle: labs → visits → labs"):
        LinkedSynthesizer(looped, epsilon=1.0)
    with pytest.raises(SchemaError, match="'labs' links to 'orders', which is not given"):
        LinkedSynthesizer(
            schemas([{"column": "VISIT", "table": "orders", "key": "Id"}]), epsilon=1.0
        )
    two = [
        {"column": "VISIT", "table": "visits", "key": "Id"},
        {"column": "PATIENT", "table": "visits", "key": "PATIENT"},
    ]
    with pytest.raises(SchemaError, match="'labs' declares 2 links"):
        LinkedSynthesizer(schemas(two), epsilon=1.0)


def test_the_joined_person_view_blocks_copied_persons_and_passes_honest_ones(fitted) -> None:
    """One row per person across the three tables (person columns, rows per table): the
    training persons handed back as 'synthetic' are blocked; the model's persons pass."""
    from synth.linked_gate import check_joined, joined_view, rows_column

    model, data = fitted
    ids = data["patients"]["Id"]
    held = set(ids.iloc[::3])
    train, holdout = {}, {}
    for t, df in data.items():
        mask = model.person_keys(t, data).isin(held).to_numpy()
        train[t], holdout[t] = df[~mask], df[mask]
    view = joined_view(model, train)
    assert {rows_column("visits"), rows_column("labs")} <= set(view.columns)
    assert len(view) == len(train["patients"])
    assert view[rows_column("labs")].max() <= 6  # cut at the bound
    copied, _ = check_joined(model, train, holdout, train)
    assert not copied.passed
    honest, _ = check_joined(model, train, holdout, model.sample(seed=2))
    assert honest.passed


def test_a_person_with_ten_thousand_rows_is_cut_to_the_bound_and_says_so() -> None:
    """One patient with 10,000 lab rows on one visit: the fit keeps at most k of them (the
    DP bound, the noise calibrated for k), the share of persons cut is reported, and no
    synthetic visit draws from a count bin within the noise: the lone visit's "500+" and
    the wide bins the noise alone fills are not drawn, so no synthetic visit holds more
    labs than the largest bin kept allows (real ones: at most 6 but the one)."""
    data = tables(400)
    one = data["visits"].iloc[[0]]
    heavy = pd.DataFrame(
        {
            "PATIENT": one["PATIENT"].repeat(10_000).to_numpy(),
            "VISIT": one["Id"].repeat(10_000).to_numpy(),
            "test": "ecg",
        }
    )
    data["labs"] = pd.concat([data["labs"], heavy], ignore_index=True)
    s = schemas()
    ds = s["labs"].dataset.model_copy(update={"max_rows_per_unit": "auto"})
    s["labs"] = s["labs"].model_copy(update={"dataset": ds})
    model = LinkedSynthesizer(s, epsilon=4.0, presence={"labs": None, "visits": None})
    model.fit(data)
    labs = model.models["labs"]
    assert labs.persons is not None and labs.persons.k <= 10
    assert model.describe()["bounds"]["labs"]["rows_per_person"] == labs.persons.k
    assert "above_bound_share" in labs.persons.describe()
    kept = model.count_kept["labs"]  # per person and per visit: 0..10 rows
    assert set(kept) == {"per_person", "per_parent_row"}
    assert all(set(bins) <= set(labels()[:11]) for bins in kept.values())
    out = model.sample(seed=0)
    assert out["labs"].groupby("PATIENT").size().max() <= 10


def test_missing_link_values_are_refused_with_the_column_named() -> None:
    data = tables(200)
    labs = data["labs"].copy()
    labs.loc[3, "VISIT"] = None
    with pytest.raises(InputError, match="labs.VISIT has missing values"):
        LinkedSynthesizer(schemas(), epsilon=1.0).fit({**data, "labs": labs})
    visits = data["visits"].copy()
    visits.loc[0, "PATIENT"] = None
    with pytest.raises(InputError, match="visits.PATIENT has missing values"):
        LinkedSynthesizer(schemas(), epsilon=1.0).fit({**data, "visits": visits})


def test_links_found_in_a_cycle_are_refused_with_the_tables_named() -> None:
    """Two tables whose columns each hold exactly the other's keys: no parent order."""
    from synth.linked_release import find_links
    from synth.schema.model import Column, Schema

    def ident(name: str) -> dict:
        return {"name": name, **KEY}

    people = pd.DataFrame({"Id": ["P1", "P2", "P3"]})
    a = pd.DataFrame({"Id": ["A1", "A2", "A3"], "P": ["P1", "P2", "P3"], "B": ["B1", "B2", "B3"]})
    b = pd.DataFrame({"Id": ["B1", "B2", "B3"], "P": ["P1", "P2", "P3"], "A": ["A1", "A2", "A3"]})
    frames = {"patients": people, "a": a, "b": b}
    schemas_ = {
        t: Schema(columns=[Column.model_validate(ident(c)) for c in df.columns])
        for t, df in frames.items()
    }
    with pytest.raises(SchemaError, match="the links found between a, b form a cycle"):
        find_links(frames, schemas_)


def test_presence_indicators_take_one_aim_round_each_in_the_person_model() -> None:
    """The person model starts AIM from 4 rounds per own column and 1 per indicator (it
    was 4 per indicator too: the slow fit of issue 17), unless asked for the default."""
    data = tables(600)
    model = LinkedSynthesizer(schemas(), epsilon=8.0, presence={"visits": None}).fit(data)
    flags = len(model.presence["labs"].values)
    assert flags >= 1
    # own columns: two of the patient's, visits#rows and labs#rows (rows per patient)
    assert model.models["patients"].engine_options["rounds"] == 4 * 4 + flags
    assert set(model.fit_seconds) == {"patients", "visits", "labs"}
    plain = LinkedSynthesizer(
        schemas(), epsilon=8.0, presence={"visits": None}, indicator_rounds=None
    ).fit(data)
    assert "rounds" not in plain.models["patients"].engine_options


def test_with_presence_a_grandchild_keeps_rows_per_person_and_its_values() -> None:
    """The values indicated for a person are placed on their visits first and the rest of
    the person's rows after, so the rows per person stay the DP histogram's."""
    from synth.linked_report import children_per_parent, children_per_person, presence_fidelity

    data = tables(1500, seed=3)
    model = LinkedSynthesizer(schemas(), epsilon=8.0, presence={"visits": None}).fit(data)
    assert model.presence["labs"].values  # both tests are held by many persons
    syn = model.sample(seed=0)
    per = children_per_person(model, data, syn, "labs")
    assert per["within_bound"]["tvd"] <= 0.1
    assert presence_fidelity(model, data, syn, "labs")["error_max"] <= 0.1
    assert children_per_parent(model, data, syn, "labs")["tvd"] <= 0.3  # measured 0.15-0.18
    assert syn["labs"]["VISIT"].isin(syn["visits"]["Id"]).all()


def test_a_folder_names_compressed_and_tab_separated_tables_by_their_table(tmp_path) -> None:
    """``release-linked`` reads what ``read_table`` reads: ``patients.csv.gz`` is table
    ``patients``, ``visits.tsv`` table ``visits``; other files are not tables, and two
    files naming one table are refused by name."""
    import gzip

    from synth.linked_release import table_paths

    (tmp_path / "patients.csv.gz").write_bytes(gzip.compress(b"Id,sex\nP1,F\n"))
    (tmp_path / "visits.tsv").write_text("PATIENT\tkind\nP1\tgyn\n")
    (tmp_path / "README.md").write_text("not a table\n")
    assert {k: v.name for k, v in table_paths(tmp_path).items()} == {
        "patients": "patients.csv.gz",
        "visits": "visits.tsv",
    }
    (tmp_path / "visits.csv").write_text("PATIENT,kind\nP1,gyn\n")
    with pytest.raises(InputError, match="both hold table 'visits'"):
        table_paths(tmp_path)
