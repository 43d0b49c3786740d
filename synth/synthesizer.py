"""The synthesizer: schema-driven, end-to-end DP fit; constraint-respecting sampling
(:mod:`synth.sampling`).

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
from synth.encoding import CategoricalCodec, Codec, NumericCodec, codec_from_state
from synth.engine_choice import (
    ENGINE_NUMERIC_BINS,
    MST_MAX_CELLS,
    PART_ROWS,
    PARTITIONED_ENGINES,
    choose_engine,
)
from synth.engines import create_engine
from synth.engines.base import Engine, Progress, no_progress
from synth.engines.registry import engine_class
from synth.errors import ArtifactError, InputError
from synth.ledger import PrivacyLedger
from synth.model_file import (
    MAX_LOADED_CARDINALITY,
    MAX_LOADED_NETWORK,
    check_loadable,
    schema_to_dict_col,
)
from synth.numeric_shape import NumericShape
from synth.person_size import row_groups
from synth.persons import (
    RowsPerPerson,
    bound_mask,
    measure_rows_per_person,
)
from synth.prepare import modelled_columns
from synth.private_domains import build_codecs, is_public, rebin
from synth.randomness import Randomness
from synth.sampling import Sampling
from synth.schema.io import parse_schema, schema_to_dict
from synth.schema.model import Action, Column, ColumnType, Schema
from synth.statistics import (
    PartitionedTokens,
    merge_counts,
    needs_shape,
    partition_counts,
    partition_tokens,
    partition_units,
    person_level,
)
from synth.surrogates import digit_length, numeric_construction

#: names other modules and tests import from here (the engine choice and the model file's
#: checks live in :mod:`synth.engine_choice` and :mod:`synth.model_file`)
__all__ = [
    "ENGINE_NUMERIC_BINS",
    "MAX_LOADED_CARDINALITY",
    "MAX_LOADED_NETWORK",
    "MST_MAX_CELLS",
    "PARTITIONED_ENGINES",
    "PART_ROWS",
    "Synthesizer",
    "choose_engine",
    "schema_to_dict_col",
]
_check_loadable = check_loadable


class Synthesizer(Sampling):
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
        keep, units = self._unit_mask(parts, runner, rand.rng, source, len(cols))
        private = [c for c in cols if not is_public(c)]
        shaped = [c for c in cols if needs_shape(c)]
        persons = self._person_numbers(units)
        counts = merge_counts(
            runner.map(
                partition_counts,
                parts,
                self.schema,
                source,
                private,
                keep,
                shaped,
                persons,
                progress=progress,
                stage="reading rows",
            )
        )
        if persons is not None:
            counts = person_level(counts, self.ledger.rows_per_unit)
        if counts.rows == 0:
            raise InputError(f"{source}: table has no rows")
        self.columns = cols
        progress("private domains", 0, 1)
        domains = build_codecs(
            self.schema,
            cols,
            counts,
            self.ledger,
            rand.rng,
            one_way=self._one_way_share(cols),
            noise=rand.gaussian_counts,
        )
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
        groups = self._size_tokens(units)
        tokens = self._tokens(
            parts,
            runner,
            source,
            keep,
            rows,
            gather=name not in PARTITIONED_ENGINES,
            groups=groups,
        )
        # ordered tokens per column (numeric/datetime bins; 0 = unordered), for engines
        # that coarsen ordered domains; the person's size group last (when modelled)
        ordinal = [
            getattr(c, "n_bins", 0) if not isinstance(c, CategoricalCodec) else 0
            for c in self.codecs
        ] + ([0] if groups is not None else [])
        self.engine_options.setdefault("ordinal", ordinal)
        # blank cells and missing-value codes: emitted where the 1-way counts show them
        optional = [list(c.optional_tokens()) for c in self.codecs]
        optional += [[]] if groups is not None else []
        self.engine_options.setdefault("optional", optional)
        if name == "aim":
            # numbers' bins and points in value order, for AIM's coarse views
            self.engine_options.setdefault(
                "value_order",
                [c.value_ranks() if isinstance(c, NumericCodec) else None for c in self.codecs]
                + ([None] if groups is not None else []),
            )
        names = [c.name for c in self.codecs]
        if name in ("mst", "aim") and self.schema.dataset.target in names:
            # the marginal engine ties every column to the declared prediction target
            self.engine_options.setdefault("target", names.index(self.schema.dataset.target))
        self.engine = create_engine(name, self.engine_cardinalities(), **self.engine_options)
        # the category selections' noisy counts, paid for as this engine's 1-way counts
        given = domains.one_way
        self.engine.use_one_way(
            {i: given[c.name] for i, c in enumerate(self.codecs) if c.name in given}
        )
        self.engine.fit(tokens, self.ledger, rand, progress)
        if self.engine.rows_estimate is None:  # pragma: no cover - every engine sets it
            raise RuntimeError(f"engine {name} left no DP row estimate")
        # with the person's size modelled the output's persons keep all their rows: the
        # kept rows' DP estimate scaled to the whole table's (rows_ratio is 1 otherwise)
        ratio = self.persons.rows_ratio if self.persons is not None else 1.0
        self.rows_estimate = max(1, round(self.engine.rows_estimate * ratio))
        self.runner_info = runner.describe()
        return self

    def _one_way_share(self, cols: list[Column]) -> float:
        """The share of its budget the engine would spend on each column's 1-way counts
        (:func:`synth.private_domains.build_codecs` pays it to the category selections
        instead). ``auto`` is read as AIM, its choice unless a column pair is too wide for
        the marginal engines: DP-SGD then ignores the counts, and that share went to the
        selections."""
        name = "aim" if self.engine_name == "auto" else self.engine_name
        options = dict(self.engine_options)
        if self.schema.dataset.target in {c.name for c in cols}:
            options.setdefault("target", 0)  # its index does not change the share
        return engine_class(name).one_way_share(len(cols), **options)

    def _unit_mask(
        self,
        parts: list[Any],
        runner: Runner,
        rng: np.random.Generator,
        source: str,
        columns: int = 1,
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
            units, self.schema.dataset.max_rows_per_unit, self.ledger, rng, unit, columns
        )
        self.ledger.bound_rows(self.persons.k)
        return bound_mask(units, self.persons.k, rng), units

    def _size_tokens(self, units: pd.Series | None) -> np.ndarray | None:
        """Each global row's person-size group (:mod:`synth.person_size`) when the size
        is modelled: one more token column, after the codecs' (exact: stays in the fit)."""
        if units is None or not self.models_size:
            return None
        assert self.persons is not None
        return row_groups(units, self.persons.groups)

    def engine_cardinalities(self) -> list[int]:
        """Tokens per engine column: the codecs', then the size groups when modelled."""
        cards = [c.cardinality for c in self.codecs]
        if self.models_size and self.persons is not None:
            cards.append(len(self.persons.groups))
        return cards

    def _person_numbers(self, units: pd.Series | None) -> np.ndarray | None:
        """A person number per global row when persons keep more than one row: the domain
        counts then count persons, not rows (:mod:`synth.contributions`). The pairs they
        need are de-duplicated over the whole table at the merge, so a person whose rows lie
        in several partitions (chunks, Dask) still counts once per value. With one row per
        person, persons and rows are the same counts (None: row counts)."""
        if units is None or self.ledger.rows_per_unit == 1:
            return None
        return pd.factorize(units.astype(str))[0].astype(np.int64)

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
        groups: np.ndarray | None = None,
    ) -> np.ndarray | PartitionedTokens:
        """Token matrix: in memory, or left on the cluster's workers for the engines that
        read rows only through counts and row fetches (``gather=False``); ``groups``
        (per global row) is appended as the last column."""
        encode = partial(
            partition_tokens,
            schema=self.schema,
            source=source,
            codecs=self.codecs,
            keep=keep,
            extra=groups,
        )
        if isinstance(runner, InProcess) or gather:
            blocks = runner.map(encode, parts)
            return np.vstack(blocks)
        width = len(self.codecs) + (groups is not None)
        return PartitionedTokens(runner, runner.persist(encode, parts), (rows, width))

    # -- description and persistence ----------------------------------------------------
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
                f"; synthetic persons have 1 to {len(p.sizes)} rows as the DP histogram "
                "says, each row drawn given its person's size group (modelled), so the "
                "persons cut to the bound are not under-represented"
                if p.models_size
                else "; synthetic rows come as persons with the same number of rows"
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
            "blank_shares": self.blank_shares(),
            "absent_values": self.absent_values(),
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
            check_loadable(config, self.engine_cardinalities())
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
