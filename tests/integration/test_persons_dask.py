"""Person counts on partitions (synth.contributions): a person whose rows lie in several CSV
chunks or Dask partitions counts once per value, so the whole-frame fit, the chunked
in-process fit and the Dask fit give the same model (seeded, test only)."""

from __future__ import annotations

import hashlib
from pathlib import Path

import numpy as np
import pandas as pd
import pytest

from synth.io.chunks import plan_chunks
from synth.io.tables import read_table
from synth.schema import parse_schema
from synth.synthesizer import Synthesizer


def _visits(persons: int = 600) -> pd.DataFrame:
    """1 + Poisson(1.5) visits per person, shuffled: most persons span several chunks."""
    rng = np.random.default_rng(0)
    owner = np.repeat(np.arange(persons), 1 + rng.poisson(1.5, persons))
    df = pd.DataFrame(
        {
            "pid": [f"P{i:05d}" for i in owner],
            "sex": rng.choice(["F", "M"], persons)[owner],
            "code": rng.choice([f"C{i}" for i in range(6)], len(owner)),
            "cost": np.round(rng.gamma(2.0, 300.0, len(owner)), 2),
        }
    )
    return df.sample(frac=1.0, random_state=1).reset_index(drop=True)


SCHEMA = {
    "dataset": {"privacy_unit": "pid", "max_rows_per_unit": 3, "delta": 1e-7},
    "columns": [
        {
            "name": "pid",
            "type": "identifier",
            "role": "direct_identifier",
            "action": "replace",
            "entity": "MEDICAL_RECORD_NUMBER",
            "format": "P#####",
        },
        {"name": "sex", "type": "categorical", "static": True},
        {"name": "code", "type": "categorical"},
        {"name": "cost", "type": "numerical"},
    ],
}


def _fingerprint(model: Synthesizer, tmp: Path) -> tuple[str, str]:
    model.save(tmp)
    sample = model.sample(300, seed=1)
    return (
        hashlib.sha256(tmp.read_bytes()).hexdigest(),
        hashlib.sha256(sample.to_csv(index=False).encode()).hexdigest(),
    )


@pytest.mark.parametrize("bound", [3, "auto"])
def test_person_counts_identical_in_process_chunked_and_dask(bound, cluster, tmp_path):
    schema = parse_schema({**SCHEMA, "dataset": {**SCHEMA["dataset"], "max_rows_per_unit": bound}})
    data = tmp_path / "visits.csv"
    _visits().to_csv(data, index=False)
    chunks = plan_chunks(data, 8_000)
    assert len(chunks) >= 3

    def fit(data, runner=None):
        model = Synthesizer(
            schema,
            epsilon=1.0,
            engine="mst",
            engine_options={"iters": 200},
            insecure_fit_seed=5,  # test only: the same draws on every runner
        )
        return model.fit(data, runner=runner)

    whole_model = fit(read_table(data))
    charges = [r for r in whole_model.ledger.rows() if r["purpose"].startswith("category set")]
    assert charges and all(r["details"]["sensitivity"] == "per person, L2 1" for r in charges)
    whole = _fingerprint(whole_model, tmp_path / "a.synth")
    chunked = _fingerprint(fit(chunks), tmp_path / "b.synth")
    on_dask = _fingerprint(fit(chunks, cluster), tmp_path / "c.synth")
    assert whole == chunked == on_dask


def test_the_size_group_column_is_identical_on_every_runner(cluster, tmp_path):
    """With the person's size modelled (synth.person_size) each kept row carries its
    person's size group, computed over the whole table: the same model on partitions."""
    rng = np.random.default_rng(2)
    sizes = rng.choice([1, 2, 6], 600, p=[0.72, 0.2, 0.08])  # auto: k = 2
    owner = np.repeat(np.arange(600), sizes)
    df = pd.DataFrame(
        {
            "pid": [f"P{i:05d}" for i in owner],
            "sex": rng.choice(["F", "M"], 600)[owner],
            "code": np.where(sizes[owner] == 6, "C1", rng.choice(["C2", "C3"], len(owner))),
            "cost": np.round(rng.gamma(2.0, 300.0, len(owner)), 2),
        }
    ).sample(frac=1.0, random_state=1)
    data = tmp_path / "visits.csv"
    df.to_csv(data, index=False)
    chunks = plan_chunks(data, 8_000)
    assert len(chunks) >= 3
    schema = parse_schema({**SCHEMA, "dataset": {**SCHEMA["dataset"], "max_rows_per_unit": "auto"}})

    def fit(data, runner=None):
        model = Synthesizer(
            schema, epsilon=5.0, engine="mst", engine_options={"iters": 200}, insecure_fit_seed=5
        )
        return model.fit(data, runner=runner)

    whole_model = fit(read_table(data))
    assert whole_model.persons is not None and whole_model.persons.models_size
    whole = _fingerprint(whole_model, tmp_path / "a.synth")
    assert whole == _fingerprint(fit(chunks), tmp_path / "b.synth")
    assert whole == _fingerprint(fit(chunks, cluster), tmp_path / "c.synth")
