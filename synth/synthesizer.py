"""The synthesizer: schema-driven, end-to-end DP fit; constraint-respecting sampling.

>>> # doctest: +SKIP
>>> model = Synthesizer(schema, epsilon=1.0).fit(df)
>>> synthetic = model.sample(seed=0)  # as many rows as the model's DP row estimate
>>> model.save("model.synth")

The fit draws every random number from fresh OS entropy (:mod:`synth.randomness`): two
fits of the same table differ, and nothing stored or printed can replay the noise.
``seed`` only makes *sampling* reproducible (post-processing of the DP model). The
exact number of training rows never leaves the fit: the model keeps a DP estimate
(``rows_estimate``), which is also the default number of rows to sample.
"""

from __future__ import annotations

import itertools
from collections.abc import Sequence
from functools import partial
from pathlib import Path
from typing import Any

import numpy as np
import pandas as pd

from synth.artifact import load_artifact, save_artifact
from synth.cluster import InProcess, Runner
from synth.constraints import condition, enforce
from synth.encoding import (
    MAX_NUMERIC_BINS,
    CategoricalCodec,
    Codec,
    codec_from_state,
)
from synth.engines import create_engine
from synth.engines.base import Engine, Progress, no_progress
from synth.errors import ArtifactError, InputError
from synth.ledger import PrivacyLedger
from synth.numeric_shape import NumericShape
from synth.persons import (
    RowsPerPerson,
    assemble_persons,
    bound_mask,
    measure_rows_per_person,
    person_sizes,
    rows_given,
)
from synth.prepare import model_view, modelled_columns
from synth.private_domains import build_codecs, is_public, rebin
from synth.randomness import Randomness
from synth.schema.io import parse_schema, schema_to_dict
from synth.schema.model import Action, Column, ColumnType, Schema
from synth.statistics import (
    PartitionedTokens,
    encode_view,
    merge_counts,
    needs_shape,
    partition_counts,
    partition_tokens,
    partition_units,
)
from synth.surrogates import digit_length, numeric_construction, surrogate_series

#: rows per partition when an in-memory frame is fitted on a cluster
PART_ROWS = 250_000
#: engines that take :class:`PartitionedTokens` on a cluster (MST and AIM only count marginals;
#: DP-SGD counts 1-way marginals and fetches its Poisson batches by row index); the tokens
#: of any other engine are gathered to the driver
PARTITIONED_ENGINES = frozenset({"mst", "aim", "dpsgd"})


#: largest 2-way table (cells) the marginal engines measure; wider pairs go to DP-SGD
MST_MAX_CELLS = 1_000_000


def choose_engine(requested: str, cardinalities: list[int]) -> tuple[str, str]:
    """Pick an engine for ``auto``; return (name, reason).

    The marginal engines measure 1- and 2-way marginals: they need every pair of columns
    to fit a table they can measure, else DP-SGD. Between them AIM: on UCI Adult (mean
    2-way TVD over 4 seeds at ε=1) AIM 0.028 against the target-aware MST tree's 0.034,
    and 0.015 against 0.030 at ε=10, at the same TSTR AUC; on the 4,000-row sample table
    at ε=1 the two tie (0.272–0.277). MST stays available: faster and less variable
    between seeds.
    """
    if requested != "auto":
        return requested, "requested explicitly"
    top = sorted(cardinalities)[-2:]
    widest = int(np.prod(top)) if len(top) == 2 else int(top[0]) if top else 0
    if widest > MST_MAX_CELLS:
        return "dpsgd", (
            f"auto: the widest column pair has {widest:,} cells, beyond what the marginal "
            "engines measure; the DP-SGD autoregressive engine handles wide domains"
        )
    return "aim", (
        f"auto: {len(cardinalities)} discretised columns; the widest column pair has "
        f"{widest:,} cells (limit {MST_MAX_CELLS:,}), so the adaptive marginal engine (AIM) "
        "can measure every pair it selects"
    )


class Synthesizer:
    """Learn a table under (ε, δ)-DP from its schema, then sample synthetic rows."""

    def __init__(
        self,
        schema: Schema,
        *,
        epsilon: float | None = None,
        delta: float | None = None,
        engine: str = "auto",
        seed: int | None = None,
        engine_options: dict[str, Any] | None = None,
        insecure_fit_seed: int | None = None,
    ) -> None:
        """A synthesizer for ``schema`` under the budget (ε, δ) (default: the schema's).

        ``engine``: ``auto`` (picks and says why), ``aim``, ``mst`` or ``dpsgd``;
        ``engine_options`` tune it. ``seed`` makes :meth:`sample` reproducible (sampling
        is post-processing of the DP model); the fit itself always draws from fresh OS
        entropy, except with ``insecure_fit_seed``: a test-only switch that makes the fit
        reproducible and therefore **not private** (the model, ledger and report say so).
        """
        self.schema = schema
        self.epsilon = float(epsilon if epsilon is not None else schema.dataset.epsilon)
        self.delta = float(delta if delta is not None else schema.dataset.delta)
        self.ledger = PrivacyLedger(self.epsilon, self.delta, unit=schema.dataset.privacy_unit)
        self.engine_name = engine
        self.engine_reason = ""
        self.engine_options = dict(engine_options or {})
        self.seed = seed
        self.insecure_fit_seed = insecure_fit_seed
        self.randomness: dict[str, Any] = {}
        self.columns: list[Column] = []
        self.codecs: list[Codec] = []
        self.engine: Engine | None = None
        self.domain_notes: list[dict[str, Any]] = []
        self.rows_estimate: int | None = None
        self._shapes: dict[str, NumericShape] = {}
        #: the DP rows-per-person model (None without a privacy unit)
        self.persons: RowsPerPerson | None = None
        #: share of synthetic rows whose static columns were set rather than matched
        self.static_fallback_share = 0.0
        self.runner_info: dict[str, Any] = {"kind": "in-process", "workers": 1}

    # -- fitting ------------------------------------------------------------------------
    def fit(
        self,
        data: pd.DataFrame | Sequence[Any],
        *,
        source: str = "data",
        progress: Progress = no_progress,
        runner: Runner | None = None,
    ) -> Synthesizer:
        """Learn ``data`` (a DataFrame, or partitions such as :class:`~synth.io.chunks.Chunk`
        whose index is the global row number) under the budget.

        ``runner`` (:func:`synth.cluster.connect`) runs the passes over the rows: in this
        process (default) or on a Dask cluster, where the token partitions stay on the
        workers and only counts (marginal engines) or the rows of each Poisson batch
        (DP-SGD) come back. Both run the same mechanisms (with ``insecure_fit_seed``, the
        same model).
        """
        if isinstance(data, pd.DataFrame):
            if len(data) == 0:
                raise InputError(f"{source}: table has no rows")
            frame = data.reset_index(drop=True)
            runner = runner or InProcess()
            k = (
                1
                if isinstance(runner, InProcess)
                else max(2 * runner.workers, -(-len(frame) // PART_ROWS))
            )
            cuts = np.linspace(0, len(frame), k + 1).astype(int)
            parts: list[Any] = [frame.iloc[a:b] for a, b in itertools.pairwise(cuts)]
        else:
            parts = list(data)
        runner = runner or InProcess()
        parts = runner.place(parts)
        rand = Randomness.create(self.insecure_fit_seed)
        self.randomness = rand.describe()
        cols = modelled_columns(self.schema)
        if not cols:
            raise InputError(f"{source}: the schema leaves no column to model (all dropped)")
        keep, units = self._unit_mask(parts, runner, rand.rng, source)
        private = [c for c in cols if not is_public(c)]
        shaped = [c for c in cols if needs_shape(c)]
        counts = merge_counts(
            runner.map(
                partition_counts,
                parts,
                self.schema,
                source,
                private,
                keep,
                shaped,
                progress=progress,
                stage="reading rows",
            )
        )
        if counts.rows == 0:
            raise InputError(f"{source}: table has no rows")
        self.columns = cols
        progress("private domains", 0, 1)
        domains = build_codecs(self.schema, cols, counts, self.ledger, rand.rng)
        self.codecs, self._shapes = domains.codecs, domains.shapes
        self.domain_notes.extend(domains.notes)
        progress("private domains", 1, 1)
        name, reason = choose_engine(self.engine_name, [c.cardinality for c in self.codecs])
        self.engine_name, self.engine_reason = name, reason
        rows = counts.rows
        if (
            name == "dpsgd"
            and self.persons is not None
            and self.persons.k > 1
            and self.schema.dataset.max_rows_per_unit == "auto"
        ):
            keep = self._one_row_each(keep, units, rand.rng)  # type: ignore[arg-type]
            rows = int(keep.sum())
            self.engine_reason += "; it clips one row per person, so the bound became 1"
        bins = self.engine_options.pop("numeric_bins", ENGINE_NUMERIC_BINS.get(name))
        if bins:
            self.codecs = [rebin(c, int(bins), self._shapes) for c in self.codecs]
        tokens = self._tokens(
            parts, runner, source, keep, rows, gather=name not in PARTITIONED_ENGINES
        )
        # ordered tokens per column (numeric/datetime bins; 0 = unordered), for engines
        # that coarsen ordered domains
        ordinal = [
            getattr(c, "n_bins", 0) if not isinstance(c, CategoricalCodec) else 0
            for c in self.codecs
        ]
        self.engine_options.setdefault("ordinal", ordinal)
        names = [c.name for c in self.codecs]
        if name in ("mst", "aim") and self.schema.dataset.target in names:
            # the marginal engine ties every column to the declared prediction target
            self.engine_options.setdefault("target", names.index(self.schema.dataset.target))
        self.engine = create_engine(
            name, [c.cardinality for c in self.codecs], **self.engine_options
        )
        self.engine.fit(tokens, self.ledger, rand, progress)
        if self.engine.rows_estimate is None:  # pragma: no cover - every engine sets it
            raise RuntimeError(f"engine {name} left no DP row estimate")
        self.rows_estimate = max(1, round(self.engine.rows_estimate))
        self.runner_info = runner.describe()
        return self

    def _unit_mask(
        self, parts: list[Any], runner: Runner, rng: np.random.Generator, source: str
    ) -> tuple[np.ndarray | None, pd.Series | None]:
        """Global keep-mask bounding each person to k rows, and the gathered unit column
        (exact: it stays inside the fit), after the DP rows-per-person measurement that
        gives k (or checks the declared k); from here on the ledger charges every per-row
        mechanism for k rows."""
        unit = self.schema.dataset.privacy_unit
        if unit is None:
            return None, None
        units = pd.concat(
            runner.map(partition_units, parts, self.schema, source), ignore_index=True
        )
        self.persons = measure_rows_per_person(
            units, self.schema.dataset.max_rows_per_unit, self.ledger, rng, unit
        )
        self.ledger.bound_rows(self.persons.k)
        return bound_mask(units, self.persons.k, rng), units

    def _one_row_each(
        self, keep: np.ndarray, units: pd.Series, rng: np.random.Generator
    ) -> np.ndarray:
        """Narrow an ``auto`` bound to one row per person for DP-SGD (which clips rows):
        a random one of each person's kept rows. What was measured at k stays valid (a
        mechanism calibrated for persons of k rows covers persons of one)."""
        assert self.persons is not None
        rows = np.flatnonzero(keep)
        one = bound_mask(units.iloc[rows].reset_index(drop=True), 1, rng)
        narrowed = np.zeros_like(keep)
        narrowed[rows[one]] = True
        self.persons = self.persons.narrowed()
        self.ledger.bound_rows(1)
        return narrowed

    def _tokens(
        self,
        parts: list[Any],
        runner: Runner,
        source: str,
        keep: np.ndarray | None,
        rows: int,
        *,
        gather: bool,
    ) -> np.ndarray | PartitionedTokens:
        """Token matrix: in memory, or left on the cluster's workers for the engines that
        read rows only through counts and row fetches (``gather=False``)."""
        encode = partial(
            partition_tokens, schema=self.schema, source=source, codecs=self.codecs, keep=keep
        )
        if isinstance(runner, InProcess) or gather:
            blocks = runner.map(encode, parts)
            return np.vstack(blocks)
        return PartitionedTokens(runner, runner.persist(encode, parts), (rows, len(self.codecs)))

    # -- sampling -----------------------------------------------------------------------
    def _require_fitted(self) -> Engine:
        if self.engine is None:
            raise InputError("the synthesizer is not fitted yet")
        return self.engine

    def _draw_tokens(self, n: int, rng: np.random.Generator) -> np.ndarray:
        engine = self._require_fitted()
        blocked = []
        for c, col in zip(self.codecs, self.columns, strict=True):
            block = c.blocked_tokens() + ([] if col.nullable else [c.missing])  # type: ignore[attr-defined]
            if len(set(block)) >= c.cardinality:  # nothing left to emit: allow missing
                block = c.blocked_tokens()
            blocked.append(block)
        return engine.sample(n, rng, blocked=blocked)

    def _decode(self, tokens: np.ndarray, rng: np.random.Generator) -> pd.DataFrame:
        return pd.DataFrame(
            {c.name: c.decode(tokens[:, i], rng) for i, c in enumerate(self.codecs)}
        )

    def _draw(self, n: int, rng: np.random.Generator) -> pd.DataFrame:
        return self._decode(self._draw_tokens(n, rng), rng)

    def _draw_persons(self, n: int, rng: np.random.Generator) -> tuple[pd.DataFrame, np.ndarray]:
        """``n`` rows grouped into synthetic persons (sizes from the DP rows-per-person
        model), static columns equal within a person; returns the rows and each row's
        person number."""
        assert self.persons is not None
        sizes = person_sizes(n, self.persons, rng)
        static = [i for i, c in enumerate(self.columns) if c.static]
        tokens, self.static_fallback_share = assemble_persons(
            sizes, static, lambda m: self._draw_tokens(m, rng), rng
        )
        frame = self._enforce(self._decode(tokens, rng), rng)
        person = np.repeat(np.arange(len(sizes)), sizes)
        heads = np.concatenate([[0], np.cumsum(sizes)[:-1]])
        for i in static:  # a bin decodes to a fresh value per row: copy the first row's
            name = self.columns[i].name
            frame[name] = frame[name].to_numpy()[heads][person]
        return frame, person

    def sample(
        self,
        n: int | None = None,
        *,
        seed: int | None = None,
        conditions: dict[str, Any] | None = None,
    ) -> pd.DataFrame:
        """Sample ``n`` rows (default: the model's DP estimate of the training rows).

        ``seed`` (default: the synthesizer's ``seed``; fresh entropy when both are None)
        makes the draw reproducible; ``conditions`` fixes column values (exact, by
        rejection). Sampling reads only the model: it is post-processing and costs no ε.
        """
        self._require_fitted()
        if n is None:
            if self.rows_estimate is None:
                raise InputError(
                    "this model holds no DP estimate of its rows (written by an earlier "
                    "version): give the number of rows (--rows)"
                )
            n = self.rows_estimate
        if n <= 0:
            raise InputError(f"number of rows must be positive, got {n}")
        rng = np.random.default_rng(self.seed if seed is None else seed)
        person = None
        if self.persons is not None and self.persons.k > 1 and not conditions:
            frame, person = self._draw_persons(n, rng)
        else:
            frame = self._enforce(self._draw(n, rng), rng)
        if conditions:
            frame = self._condition(frame, n, conditions, rng)
        return self._assemble(frame, n, int(rng.integers(2**31)), person)

    def sample_where(
        self,
        n: int | None = None,
        *,
        where: str | list[str] | None = None,
        rebalance: str | None = None,
        seed: int | None = None,
    ) -> tuple[pd.DataFrame, dict[str, Any]]:
        """``n`` rows holding ``where`` (``"sex=F,age>=70"``) with ``rebalance``'s column
        at the shares asked for (``"dx=E11:0.1"``; a bare column: uniform), and a report
        of what was applied (:func:`synth.conditional.sample_conditional`). Exact on the
        marginal engines, measured rejection on DP-SGD; post-processing, no ε."""
        from synth.conditional import parse_rebalance, parse_where, sample_conditional

        texts = [where] if isinstance(where, str) else list(where or [])
        if n is None:
            n = self.rows_estimate
        if n is None:
            raise InputError("give the number of rows (--rows)")
        return sample_conditional(
            self,
            n,
            where=parse_where(texts),
            rebalance=None if rebalance is None else parse_rebalance(rebalance),
            seed=seed,
        )

    def sample_given(
        self, given: pd.DataFrame, sizes: np.ndarray, *, seed: int | None = None
    ) -> tuple[pd.DataFrame, np.ndarray]:
        """Rows of persons whose values in ``given``'s columns are fixed: ``sizes[i]`` rows
        for the person of ``given``'s row i, each drawn from the model given those values
        (equal tokens, by rejection) and carrying them exactly. Post-processing of the
        model, no ε. Returns the rows and each row's person (row of ``given``)."""
        self._require_fitted()
        names = [c.name for c in self.codecs]
        unknown = [c for c in given.columns if c not in names]
        if unknown:
            raise InputError(f"given column '{unknown[0]}' is not modelled")
        rng = np.random.default_rng(self.seed if seed is None else seed)
        sizes = np.asarray(sizes, dtype=np.int64)
        person = np.repeat(np.arange(len(given)), sizes)
        if len(person) == 0:  # no person has a row here
            return pd.DataFrame({c: pd.Series(dtype=object) for c in self.output_columns}), person
        static = [names.index(c) for c in given.columns]
        sub = self.schema.model_copy(
            update={"columns": [c for c in self.schema.columns if c.name in given.columns]}
        )
        _, view = model_view(given.reset_index(drop=True), sub, "given values")
        wanted = encode_view(view, [self.codecs[i] for i in static])[person]
        tokens, self.static_fallback_share = rows_given(
            wanted, static, lambda m: self._draw_tokens(m, rng), rng
        )
        frame = self._enforce(self._decode(tokens, rng), rng)
        for c in given.columns:
            frame[c] = given[c].to_numpy()[person]
        n = len(frame)
        return self._assemble(frame, n, int(rng.integers(2**31)), person), person

    def _condition(
        self, frame: pd.DataFrame, n: int, conditions: dict[str, Any], rng: np.random.Generator
    ) -> pd.DataFrame:
        return condition(frame, n, conditions, lambda m: self._enforce(self._draw(m, rng), rng))

    def _enforce(self, frame: pd.DataFrame, rng: np.random.Generator) -> pd.DataFrame:
        return enforce(frame, self.schema, self.columns, lambda m: self._draw(m, rng), rng)

    def _assemble(
        self, frame: pd.DataFrame, n: int, seed: int, person: np.ndarray | None = None
    ) -> pd.DataFrame:
        """The output table: modelled columns, surrogates for replaced identifiers (the
        privacy unit's surrogate shared by the rows of one synthetic person)."""
        out: dict[str, pd.Series] = {}
        unit = self.schema.dataset.privacy_unit
        for i, col in enumerate(self.schema.columns):
            if col.modelled:
                out[col.name] = frame[col.name].reset_index(drop=True)
            elif col.action == Action.REPLACE and col.type != ColumnType.TEXT:
                if col.name == unit and person is not None:
                    m = int(person.max()) + 1
                    ids = surrogate_series(col.entity, m, seed + i, col.format)
                    out[col.name] = ids.iloc[person].reset_index(drop=True)
                else:
                    out[col.name] = surrogate_series(col.entity, n, seed + i, col.format)
        return pd.DataFrame(out)

    # -- description and persistence ----------------------------------------------------
    @property
    def output_columns(self) -> list[str]:
        return [
            c.name
            for c in self.schema.columns
            if c.modelled or (c.action == Action.REPLACE and c.type != ColumnType.TEXT)
        ]

    def privacy(self) -> dict[str, Any]:
        """The guarantee (:meth:`PrivacyLedger.guarantee`) with the person counts behind
        it, all DP: persons estimate, the bound and how it was chosen, the share of
        persons whose rows were cut to the bound, and whether synthetic rows form persons."""
        out = self.ledger.guarantee()
        if self.persons is None:
            return out
        p = self.persons
        cut = p.above_bound_share
        out["persons"] = p.describe()
        out["unit_words"] += (
            f" ({'chosen under DP' if p.chosen.startswith('auto') else 'declared'}); "
            f"≈ {p.persons_estimate:,} persons (DP estimate); "
            + (
                f"≈ {cut:.1%} of persons had more than one row and kept one at random"
                if p.k == 1
                else f"≈ {cut:.1%} of persons had more than {p.k} rows and kept {p.k} at random"
            )
            + (
                "; synthetic rows come as persons with the same number of rows"
                if p.k > 1
                else "; each synthetic row is its own person"
            )
        )
        return out

    def ledger_state(self) -> dict[str, Any]:
        """The ledger (:meth:`PrivacyLedger.state_dict`) with :meth:`privacy` as its
        guarantee, as the model, ``ledger.json`` and the report carry it."""
        return {**self.ledger.state_dict(), "privacy": self.privacy()}

    def describe(self) -> dict[str, Any]:
        """What the model is and what it cost: engine, DP row estimate, budget and spend,
        ledger, privacy unit and neighbouring relation, randomness, domains, and the
        columns it does not release. Every figure is public or DP (no exact count)."""
        engine = self._require_fitted()
        eps, dlt = self.ledger.spent()
        return {
            "engine": engine.describe(),
            "engine_reason": self.engine_reason,
            "rows_estimate": self.rows_estimate,
            "privacy": self.privacy(),
            "randomness": self.randomness,
            "budget": {"epsilon": self.epsilon, "delta": self.delta},
            "spent": {"epsilon": eps, "delta": dlt},
            "ledger": self.ledger_state(),
            "domains": self.domain_notes,
            "persons": None if self.persons is None else self.persons.describe(),
            "not_released": [
                {"column": c.name, "action": c.action}
                for c in self.schema.columns
                if c.name not in self.output_columns
            ],
            "numeric_surrogates": [
                {
                    "column": c.name,
                    "construction": numeric_construction(
                        digit_length(c.format) or 0, self.rows_estimate or 0
                    ),
                }
                for c in self.schema.columns
                if c.action == Action.REPLACE
                and c.type != ColumnType.TEXT
                and digit_length(c.format) is not None
            ],
        }

    def save(self, path: str | Path) -> None:
        """Write the model: JSON config and float arrays in a checksummed ZIP (no raw rows,
        no pickle, no seed, no exact count)."""
        engine = self._require_fitted()
        eng_config, arrays = engine.state_dict()
        config = {
            "schema": schema_to_dict(self.schema),
            "columns": [schema_to_dict_col(c) for c in self.columns],
            "codecs": [c.state_dict() for c in self.codecs],
            "engine": {"name": engine.name, "reason": self.engine_reason, **eng_config},
            "ledger": self.ledger_state(),
            "domains": self.domain_notes,
            "randomness": self.randomness,
            "rows_estimate": self.rows_estimate,
            "persons": None if self.persons is None else self.persons.state_dict(),
        }
        save_artifact(Path(path), config, arrays)

    @classmethod
    def load(cls, path: str | Path) -> Synthesizer:
        """Read a model written by :meth:`save` (checked; nothing in it is executed)."""
        config, arrays = load_artifact(Path(path))
        try:
            schema = parse_schema(config["schema"], f"{path}: embedded schema")
            led = config["ledger"]
            self = cls(
                schema,
                epsilon=led["budget"]["epsilon"],
                delta=led["budget"]["delta"],
                engine=config["engine"]["name"],
            )
            self.ledger = PrivacyLedger.from_state_dict(led)
            self.columns = [Column.model_validate(c) for c in config["columns"]]
            self.codecs = [codec_from_state(s) for s in config["codecs"]]
            self.engine_reason = config["engine"].get("reason", "")
            self.domain_notes = config.get("domains", [])
            self.randomness = dict(config.get("randomness", {}))
            estimate = config.get("rows_estimate")
            self.rows_estimate = None if estimate is None else int(estimate)
            persons = config.get("persons")
            self.persons = None if persons is None else RowsPerPerson.from_state(persons)
            _check_loadable(config, [c.cardinality for c in self.codecs])
            eng = create_engine(
                config["engine"]["name"],
                config["engine"]["cardinalities"],
                **config["engine"]["options"],
            )
            eng.load_state_dict(config["engine"], arrays)
            self.engine = eng
        except (KeyError, TypeError, ValueError, OverflowError) as exc:
            raise ArtifactError(f"{path}: model content is inconsistent ({exc})") from None
        return self


#: the most tokens one loaded column may have: a fitted model has ≤ 1,001 (categories) or
#: 257 (bins); a file claiming more is refused before anything is allocated from it
MAX_LOADED_CARDINALITY = 100_000
#: DP-SGD network sizes a loaded model may ask for (the defaults are 8 and 64)
MAX_LOADED_NETWORK = {"embedding_dim": 1024, "hidden": 8192}


def _check_loadable(config: dict[str, Any], codec_cards: list[int]) -> None:
    """Refuse a model file whose sizes no fit produces (a hostile ``model.json`` with a
    recomputed checksum): it is data, but it must not make the loader allocate at will."""
    cards = [int(k) for k in config["engine"]["cardinalities"]]
    if cards != codec_cards:
        raise ValueError("engine and codec cardinalities differ")
    if any(not 1 <= k <= MAX_LOADED_CARDINALITY for k in cards):
        raise ValueError(f"a column has more than {MAX_LOADED_CARDINALITY:,} tokens")
    options = config["engine"].get("options") or {}
    for key, limit in MAX_LOADED_NETWORK.items():
        if key in options and not 1 <= int(options[key]) <= limit:
            raise ValueError(f"engine option {key} outside 1..{limit}")


#: numeric/datetime resolution per engine. MST compresses empty bins away, so finer bins
#: cost it little and cut the within-bin smearing (Adult, ε=10: mean 2-way TVD 0.045 with
#: 64 bins, 0.039 with 256); DP-SGD pays for every bin in its softmax and stays at 64.
ENGINE_NUMERIC_BINS = {"mst": 256, "aim": 256, "dpsgd": MAX_NUMERIC_BINS}


def schema_to_dict_col(col: Column) -> dict[str, Any]:
    return col.model_dump(mode="json", exclude_none=True)
