"""The schema: the one contract between scan, fit, sample, check and report.

A schema says, per column, what it is (``type``), what it means for privacy
(``role``, ``entity``), what to do with it before modelling (``action``) and
what is publicly known about its values (``domain``). Per dataset it names the
privacy unit, the default budget and the leakage-gate thresholds.

Everything in ``domain`` is treated as *public knowledge*: the generator uses it
without paying privacy budget. A draft written by ``synth scan`` therefore never
fills a domain from the data; whatever is left empty is estimated under DP at
fit time and charged to the ledger.

>>> col = Column(name="sex", type="categorical", domain=Domain(categories=["F", "M"]))
>>> col.role, col.action
('other', 'keep')
"""

from __future__ import annotations

from datetime import date, datetime
from enum import StrEnum
from typing import Annotated, Literal

from pydantic import BaseModel, ConfigDict, Field, field_validator, model_validator

SCHEMA_VERSION = 1


class ColumnType(StrEnum):
    CATEGORICAL = "categorical"
    NUMERICAL = "numerical"
    DATETIME = "datetime"
    IDENTIFIER = "identifier"
    TEXT = "text"


class Role(StrEnum):
    DIRECT_IDENTIFIER = "direct_identifier"
    QUASI_IDENTIFIER = "quasi_identifier"
    SENSITIVE = "sensitive"
    FREE_TEXT = "free_text"
    OTHER = "other"


class Action(StrEnum):
    DROP = "drop"
    REPLACE = "replace"  # fresh surrogate values in the same format
    REDACT = "redact"  # PII spans in free text replaced by entity tags
    GENERALISE = "generalise"
    KEEP = "keep"


class Generalisation(StrEnum):
    ZIP3 = "zip3"
    YEAR = "year"
    AGE_BAND = "age_band"
    TOP_CODE_89 = "top_code_89"


class _Frozen(BaseModel):
    model_config = ConfigDict(frozen=True, extra="forbid", use_enum_values=True)


class Domain(_Frozen):
    """Public knowledge about a column's values (never read from the data)."""

    categories: list[str] | None = Field(
        default=None, description="Complete list of allowed category values."
    )
    candidates: list[str] | None = Field(
        default=None,
        description="Public values a categorical column may hold (e.g. country names), not a "
        "complete list: the fit counts every candidate under DP and keeps those whose noisy "
        "count shows rows, and finds any other value by DP partition selection.",
    )
    min: float | date | datetime | None = Field(default=None, description="Lower bound.")
    max: float | date | datetime | None = Field(default=None, description="Upper bound.")
    precision: int | None = Field(
        default=None,
        ge=0,
        le=12,
        description="Decimal places kept for numbers (0 = integer).",
    )

    @model_validator(mode="after")
    def _check(self) -> Domain:
        if self.categories is not None:
            if len(self.categories) == 0:
                raise ValueError("categories must not be empty")
            if len(set(self.categories)) != len(self.categories):
                raise ValueError("categories contain duplicates")
        if self.candidates is not None:
            if self.categories is not None:
                raise ValueError("give categories (complete) or candidates (partial), not both")
            if len(self.candidates) == 0:
                raise ValueError("candidates must not be empty")
            if len(set(self.candidates)) != len(self.candidates):
                raise ValueError("candidates contain duplicates")
        if (self.min is None) != (self.max is None):
            raise ValueError("give both min and max, or neither")
        if self.min is not None and self.max is not None:
            if type(self.min) is not type(self.max) and not (
                isinstance(self.min, int | float) and isinstance(self.max, int | float)
            ):
                raise ValueError("min and max must have the same kind (number or date)")
            if self.min > self.max:  # type: ignore[operator]
                raise ValueError(f"min ({self.min}) is greater than max ({self.max})")
        return self

    @property
    def has_bounds(self) -> bool:
        return self.min is not None and self.max is not None


class Column(_Frozen):
    name: str = Field(min_length=1)
    type: ColumnType
    role: Role = Role.OTHER
    entity: str | None = Field(default=None, description="Detected PII entity, e.g. US_SSN.")
    action: Action = Action.KEEP
    generalise: Generalisation | None = None
    format: str | None = Field(
        default=None, description="strftime format for datetimes; shape hint for identifiers."
    )
    domain: Domain | None = None
    nullable: bool = Field(
        default=True,
        description="Whether values may be missing; when false the generator never emits a "
        "missing value (structural, confirmed by the steward like the type).",
    )
    missing_values: list[str] = Field(
        default_factory=list,
        max_length=20,
        description="Codes that stand for a missing value in this column (e.g. 'N', '?', "
        "'-999'). In a numerical or datetime column a cell holding a code is modelled as its "
        "own state, jointly with the numbers, and written back verbatim; in a categorical "
        "column a code is an ordinary category. Public, like the type.",
    )
    static: bool = Field(
        default=False,
        description="Constant for each person (privacy_unit), e.g. race or birth year: every "
        "row of a synthetic person gets the same value. Structural, like the type: the scan "
        "drafts it and the steward confirms it.",
    )
    confidence: float | None = Field(default=None, ge=0.0, le=1.0)
    evidence: list[str] = Field(default_factory=list)
    hipaa: str | None = Field(default=None, description="HIPAA Safe Harbor identifier class.")

    @model_validator(mode="after")
    def _check(self) -> Column:
        _check_codes(self.missing_values, f"column '{self.name}'")
        if self.action == Action.GENERALISE and self.generalise is None:
            raise ValueError("action 'generalise' needs a 'generalise' method")
        if self.action == Action.REDACT and self.type != ColumnType.TEXT:
            raise ValueError("action 'redact' applies to text columns only")
        if self.action == Action.KEEP and self.role == Role.DIRECT_IDENTIFIER:
            raise ValueError("a direct identifier cannot be kept; use drop or replace")
        if self.type == ColumnType.IDENTIFIER and self.action not in (Action.DROP, Action.REPLACE):
            raise ValueError("an identifier column must be dropped or replaced")
        if self.type == ColumnType.TEXT and self.action in (Action.KEEP, Action.GENERALISE):
            raise ValueError("a text column must be dropped, redacted or replaced")
        if (
            self.domain is not None
            and self.domain.categories is not None
            and self.type != ColumnType.CATEGORICAL
        ):
            raise ValueError("a category list is only valid for categorical columns")
        if (
            self.domain is not None
            and self.domain.candidates is not None
            and self.type != ColumnType.CATEGORICAL
        ):
            raise ValueError("candidate categories are only valid for categorical columns")
        return self

    @property
    def modelled(self) -> bool:
        """Whether the generator learns this column from the data."""
        if self.action in (Action.DROP, Action.REPLACE, Action.REDACT):
            return False
        return self.type not in (ColumnType.IDENTIFIER, ColumnType.TEXT)


def _check_codes(codes: list[str], where: str) -> None:
    if any(not c.strip() or c != c.strip() for c in codes):
        raise ValueError(f"{where}: a missing-value code is empty or has surrounding spaces")
    if len(set(codes)) != len(codes):
        raise ValueError(f"{where}: missing_values contains duplicates")


class Inequality(_Frozen):
    """``low`` <= ``high`` holds in every row (numbers or datetimes)."""

    kind: Literal["inequality"] = "inequality"
    low: str
    high: str


class FixedCombinations(_Frozen):
    """Only the listed combinations of the given columns may appear."""

    kind: Literal["fixed_combinations"] = "fixed_combinations"
    columns: list[str] = Field(min_length=2)
    allowed: list[list[str]] = Field(min_length=1)


Constraint = Annotated[Inequality | FixedCombinations, Field(discriminator="kind")]


class GateThresholds(_Frozen):
    """Leakage-gate thresholds (see ``privacy.leakage``).

    Defaults chosen by measurement on Adult (BENCHMARKS.md, "Leakage gate" and "Gate
    power"): with them none of 12 genuine DP outputs of the default path (ε = 1 and 10)
    was blocked, and exact copies at 0.5 %, 1 %-jittered and one-cell-changed copies at 5 %
    of the rows (9,769 synthetic rows) were; the error rates are stated in
    ``privacy.leakage.gate``.
    """

    dcr_margin: float = Field(
        default=0.05,
        gt=0,
        lt=1,
        description="Informational since the near-copy test gates (kept so schemas that set "
        "it still load): the margin over the fair share p0 that dcr_share's interval is "
        "shown against.",
    )
    near_copy_min: float = Field(
        default=0.03,
        ge=0,
        lt=1,
        description="Block when the lower confidence bound of the estimated share of "
        "synthetic rows that copy a training row closely (near_copy_share: nearest real row "
        "a training row more often than the random train/holdout split allows, among the "
        "rows nearest to real rows) exceeds this. Genuine DP output of the default path "
        "on Adult showed estimates up to 6.7 % with lower bounds up to 1.6 % (a generator "
        "that learnt from the training rows follows their sampling noise a little).",
    )
    exact_match_margin: float = Field(
        default=0.05,
        gt=0,
        lt=1,
        description="Same test restricted to synthetic rows identical to some real row.",
    )
    inference_risk_max: float = Field(
        default=0.10,
        gt=0,
        lt=1,
        description="Block when the lower confidence bound of the inference-attack risk "
        "(success on training rows in excess of holdout rows, over 1 - holdout success) on "
        "the worst sensitive attribute exceeds this.",
    )
    linkability_risk_max: float = Field(
        default=0.02,
        gt=0,
        lt=1,
        description="Block when the lower confidence bound of the linkability-attack risk "
        "exceeds this.",
    )
    singling_out_risk_max: float = Field(
        default=0.10,
        gt=0,
        lt=1,
        description="Block when the lower confidence bound of the singling-out risk "
        "(predicates read off the synthetic rows that isolate one training row, in excess of "
        "holdout rows) exceeds this.",
    )
    attack_rows: int = Field(
        default=2000,
        ge=10,
        description="Training rows attacked (and as many holdout rows as control).",
    )
    exact_max_rows: int = Field(
        default=250_000,
        ge=1,
        description="Above this many synthetic rows, the distance metrics use a uniform "
        "random sample of this many synthetic rows (never of training or holdout rows; the "
        "report states it); exact-copy checks always cover every row.",
    )
    confidence: float = Field(default=0.95, gt=0.5, lt=1)


class ForeignKey(_Frozen):
    """This table's ``column`` holds the ``key`` of a row of table ``table`` (named by its
    ``dataset.name``): its parent, the person table or a table that links on to it
    (conditions → encounters → patients). A deeper table may add a second link straight
    to the person table, checked against its parent row's person (:mod:`synth.linked_graph`)."""

    column: str
    table: str
    key: str


#: the largest per-person row bound (noise grows with it: L2 sensitivity k per marginal)
MAX_ROWS_PER_UNIT = 100


class Dataset(_Frozen):
    name: str = "dataset"
    privacy_unit: str | None = Field(
        default=None, description="Column identifying the person when rows repeat per person."
    )
    max_rows_per_unit: int | Literal["auto"] = Field(
        default=1,
        description="Rows of one person (privacy_unit) the fit keeps at most (a random "
        "choice among more); every mechanism is calibrated for a person with this many "
        "rows. 'auto' chooses it under DP from the rows-per-person histogram (charged).",
    )
    epsilon: float = Field(default=1.0, gt=0, le=100)
    delta: float = Field(default=1e-6, gt=0, lt=1e-2)
    holdout_fraction: float = Field(default=0.2, gt=0, lt=0.9)
    target: str | None = None
    protected: list[str] = Field(default_factory=list)
    missing_values: list[str] = Field(
        default_factory=list,
        max_length=20,
        description="Missing-value codes of every numerical and datetime column, added to "
        "each column's own missing_values.",
    )
    gate: GateThresholds = Field(default_factory=GateThresholds)
    links: list[ForeignKey] = Field(
        default_factory=list,
        description="Foreign keys to this table's parent in a linked release (the person "
        "table, or a table linking on to it; synth.linked).",
    )

    @model_validator(mode="after")
    def _codes(self) -> Dataset:
        _check_codes(self.missing_values, "dataset")
        k = self.max_rows_per_unit
        if k != "auto" and not 1 <= k <= MAX_ROWS_PER_UNIT:
            raise ValueError(
                f"max_rows_per_unit must be 'auto' or between 1 and {MAX_ROWS_PER_UNIT}, got {k}"
            )
        return self


class Schema(_Frozen):
    version: Literal[1] = SCHEMA_VERSION
    dataset: Dataset = Field(default_factory=Dataset)
    columns: list[Column] = Field(min_length=1)
    constraints: list[Constraint] = Field(default_factory=list)

    @field_validator("columns")
    @classmethod
    def _unique_names(cls, columns: list[Column]) -> list[Column]:
        seen: set[str] = set()
        for col in columns:
            if col.name in seen:
                raise ValueError(f"column '{col.name}' is declared twice")
            seen.add(col.name)
        return columns

    @model_validator(mode="after")
    def _references(self) -> Schema:
        names = {c.name: c for c in self.columns}
        refs: list[tuple[str, str]] = []
        if self.dataset.privacy_unit:
            refs.append(("dataset.privacy_unit", self.dataset.privacy_unit))
        if self.dataset.target:
            refs.append(("dataset.target", self.dataset.target))
        refs += [("dataset.protected", p) for p in self.dataset.protected]
        refs += [("dataset.links", fk.column) for fk in self.dataset.links]
        for c in self.constraints:
            cols = [c.low, c.high] if isinstance(c, Inequality) else c.columns
            refs += [(f"constraints.{c.kind}", n) for n in cols]
        static = [c.name for c in self.columns if c.static]
        if static and not self.dataset.privacy_unit:
            raise ValueError(
                f"column '{static[0]}' is static (constant per person) but the dataset declares "
                "no privacy_unit"
            )
        for where, name in refs:
            if name not in names:
                raise ValueError(f"{where} names column '{name}', which the schema does not have")
        for c in self.constraints:
            if isinstance(c, Inequality):
                for n in (c.low, c.high):
                    if names[n].type not in (ColumnType.NUMERICAL, ColumnType.DATETIME):
                        raise ValueError(
                            f"inequality constraint on column '{n}', which is not numerical or "
                            "datetime"
                        )
            else:
                for combo in c.allowed:
                    if len(combo) != len(c.columns):
                        raise ValueError(
                            f"fixed_combinations on {c.columns}: combination {combo} has the "
                            "wrong length"
                        )
        return self

    def missing_codes(self, col: Column) -> list[str]:
        """The missing-value codes of a numerical or datetime column (its own, then the
        dataset's); none for other types, where a code is an ordinary value."""
        if col.type not in (ColumnType.NUMERICAL, ColumnType.DATETIME):
            return []
        return list(dict.fromkeys([*col.missing_values, *self.dataset.missing_values]))

    def column(self, name: str) -> Column:
        for col in self.columns:
            if col.name == name:
                return col
        raise KeyError(name)

    @property
    def names(self) -> list[str]:
        return [c.name for c in self.columns]

    @property
    def modelled(self) -> list[Column]:
        return [c for c in self.columns if c.modelled]
