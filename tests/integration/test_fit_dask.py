"""The fit on a Dask LocalCluster gives the same model as in-process (issue #8).

Partitions are CSV chunks of the sample table; the model file and a seeded sample must be
byte-identical between the whole-frame fit, the chunked in-process fit and the Dask fit,
for both engines. On Dask the DP-SGD engine does not gather the table: its Poisson
batches are drawn on the driver by global row index and fetched from the workers'
token partitions, so the batches (and the model) are those of the in-process fit.
"""

from __future__ import annotations

import hashlib
from pathlib import Path

import numpy as np
import pytest

from synth.cluster import connect
from synth.io.chunks import plan_chunks
from synth.io.tables import read_table
from synth.schema.io import load_schema
from synth.synthesizer import Synthesizer

ROOT = Path(__file__).resolve().parents[2]
DATA = ROOT / "sample_data" / "patients.csv"
FAST = {
    "dpsgd": {"epochs": 1, "max_steps": 20},
    "mst": {"iters": 200},
    "aim": {"round_iters": 40, "final_iters": 200},
}


def _fingerprint(model: Synthesizer, tmp: Path) -> tuple[str, str]:
    model.save(tmp)
    sample = model.sample(300, seed=1)
    return (
        hashlib.sha256(tmp.read_bytes()).hexdigest(),
        hashlib.sha256(sample.to_csv(index=False).encode()).hexdigest(),
    )


@pytest.mark.parametrize("engine", ["mst", "aim", pytest.param("dpsgd", marks=pytest.mark.slow)])
def test_fit_identical_in_process_chunked_and_dask(engine, cluster, tmp_path):
    schema = load_schema(ROOT / "schemas" / "patients.yaml")
    data = tmp_path / "patients.csv"
    read_table(DATA).iloc[:2000].to_csv(data, index=False)
    chunks = plan_chunks(data, 40_000)
    assert len(chunks) >= 3

    def fit(data, runner=None):
        model = Synthesizer(
            schema,
            epsilon=1.0,
            engine=engine,
            engine_options=dict(FAST[engine]),
            insecure_fit_seed=5,  # test only: the same draws on every runner
        )
        return model.fit(data, runner=runner)

    whole = _fingerprint(fit(read_table(data)), tmp_path / "a.synth")
    chunked = _fingerprint(fit(chunks), tmp_path / "b.synth")
    on_dask = _fingerprint(fit(chunks, cluster), tmp_path / "c.synth")
    assert whole == chunked == on_dask


def test_partitioned_marginals_equal_in_memory(cluster):
    from synth.engines.measure import marginals
    from synth.statistics import PartitionedTokens

    rng = np.random.default_rng(0)
    tokens = rng.integers(0, 5, size=(1000, 4))
    parts = [tokens[:300], tokens[300:700], tokens[700:]]
    cards = [5, 5, 5, 5]
    spread = PartitionedTokens(cluster, cluster.persist(lambda t: t, parts), tokens.shape)
    cliques = [(0,), (1, 2), (0, 2, 3)]
    expected = marginals(tokens, cliques, cards)
    for a, b in zip(expected, spread.marginals(cliques, cards), strict=True):
        assert np.array_equal(a, b)
    mappings = [np.array([0, 0, 1, 1, 2])] * 4
    assert np.array_equal(spread.remap(mappings).to_numpy(), np.asarray(mappings[0])[tokens])


def _spread(cluster, tokens, cuts):
    from synth.statistics import PartitionedTokens

    parts = [tokens[a:b] for a, b in zip([0, *cuts], [*cuts, len(tokens)], strict=True)]
    return PartitionedTokens(cluster, cluster.persist(lambda t: t, parts), tokens.shape)


def test_partitioned_take_equals_in_memory(cluster):
    rng = np.random.default_rng(1)
    tokens = rng.integers(0, 1000, size=(1000, 3))
    spread = _spread(cluster, tokens, [300, 300, 700])  # one partition is empty
    assert spread.lengths() == [300, 0, 400, 300]
    index = np.array([999, 0, 5, 5, 300, 699, 700, 12, 999])  # any order, repeats
    assert np.array_equal(spread.take(index), tokens[index])
    everything = rng.permutation(1000)
    assert np.array_equal(spread.take(everything), tokens[everything])
    assert spread.take(np.array([], dtype=np.int64)).shape == (0, 3)
    # remapped partitions keep their row numbers
    mappings = [np.arange(1000) // 10] * 3
    assert np.array_equal(spread.remap(mappings).take(index), tokens[index] // 10)
    for bad in ([-1], [1000]):
        with pytest.raises(IndexError):
            spread.take(np.array(bad))


def test_poisson_batches_from_dask_partitions_equal_in_memory(cluster):
    import torch

    from synth.engines.poisson import ArrayRows, PoissonLoader, PoissonSampler

    rng = np.random.default_rng(2)
    tokens = rng.integers(0, 50, size=(2000, 4))
    spread = _spread(cluster, tokens, [500, 1100, 1600])

    def batches(rows, fetch_rows):
        sampler = PoissonSampler(2000, 1 / 16, np.random.default_rng(3))
        loader = PoissonLoader(rows, sampler, fetch_rows=fetch_rows)
        return [b for _ in range(2) for b in loader]

    local = batches(ArrayRows(tokens), 10**9)
    remote = batches(spread, 400)  # groups of 3 steps: several passes per epoch
    assert len(local) == len(remote) == 32
    assert all(torch.equal(a, b) for a, b in zip(local, remote, strict=True))
    assert sum(len(b) for b in local) > 0


def test_joins_a_running_scheduler_by_address(cluster):
    with connect(cluster.client.scheduler.address) as runner:
        assert runner.kind == "dask" and runner.workers == 2
        assert runner.map(lambda x: x * 2, [1, 2, 3]) == [2, 4, 6]


def test_bad_cluster_specs_are_input_errors():
    from synth.errors import InputError

    with (
        pytest.raises(InputError, match="expected 'local' or a scheduler address"),
        connect("yarn"),
    ):
        pass
    unreachable = connect("tcp://127.0.0.1:9", timeout=2)
    with pytest.raises(InputError, match="cannot reach the scheduler"), unreachable:
        pass


def test_cli_rejects_unknown_cluster(tmp_path):
    import subprocess
    import sys

    cmd = [sys.executable, "-m", "synth.cli", "fit", str(DATA), "--schema"]
    cmd += [str(ROOT / "schemas" / "patients.yaml"), "--epsilon", "1", "--out"]
    cmd += [str(tmp_path / "m.synth"), "--cluster", "nowhere"]
    proc = subprocess.run(cmd, capture_output=True, text=True, timeout=120)
    assert proc.returncode == 2
    assert "--cluster 'nowhere'" in proc.stderr
    assert not (tmp_path / "m.synth").exists()
