"""The linking configuration (``link.yaml``): columns, blocking, thresholds, training.

One schema serves the generic engine (``ndc link run``) and national linking (which builds the
same canonical columns from the standardised tables and only takes thresholds and training from
here). Errors name the offending key so that a user can fix the file without reading code.
"""

from __future__ import annotations

from pathlib import Path
from typing import Any, Literal

import yaml
from pydantic import BaseModel, ConfigDict, Field, ValidationError, model_validator

#: Canonical columns that blocking rules may name (see docs/linking.md).
CANONICAL = (
    "name_exact",
    "name_tone",
    "name_fold",
    "name_sorted",
    "family_fold",
    "given_fold",
    "dob",
    "dob_year",
    "dob_swapped",
    "sex",
    "commune",
    "address_fold",
    "ident",
    "ident_head",
    "ident_tail",
)

DEFAULT_BLOCKING: list[list[str] | str] = [
    ["ident"],
    ["name_fold", "dob_year"],
    ["name_sorted", "dob_year"],
    ["dob", "given_fold"],
    ["dob", "family_fold"],
    ["commune", "dob_year"],
    ["dob_swapped", "given_fold"],
    ["ident_head", "given_fold"],
    ["ident_tail", "given_fold"],
    ["commune", "given_fold", "family_fold"],
]


class LinkConfigError(ValueError):
    """A link configuration that cannot be used; the message says which key and why."""


class Columns(BaseModel):
    """Names of the input columns for each role; only ``id`` and a name are required."""

    model_config = ConfigDict(extra="forbid")

    id: str
    full_name: str | None = None
    family_name: str | None = None
    middle_name: str | None = None
    given_name: str | None = None
    date_of_birth: str | None = None
    sex: str | None = None
    commune: str | None = None
    identifier: str | None = None
    address: str | list[str] | None = None
    extra: dict[str, Literal["exact", "fuzzy"]] = Field(
        default_factory=dict, description="Other columns to compare: exact, or fuzzy text."
    )

    @model_validator(mode="after")
    def _has_name(self) -> Columns:
        if not self.full_name and not (self.family_name and self.given_name):
            raise ValueError("give `full_name`, or `family_name` and `given_name`")
        return self


class Training(BaseModel):
    """How the probabilistic model is estimated: u by random sampling, m by EM."""

    model_config = ConfigDict(extra="forbid")

    u_max_pairs: float = Field(default=5e5, gt=0)
    em_blocking: list[list[str]] = Field(default_factory=lambda: [["dob"], ["name_fold"]])
    em_max_pairs: float = Field(default=5e5, gt=0)
    max_iterations: int = Field(default=20, ge=1, le=200)
    seed: int = 42
    sample: int = Field(default=20_000, ge=0, description="Deterministic links added to training.")


class LinkConfig(BaseModel):
    """The whole ``link.yaml``."""

    model_config = ConfigDict(extra="forbid")

    columns: Columns | None = None
    right_columns: Columns | None = None
    date_formats: list[str] = Field(
        default_factory=lambda: ["%Y-%m-%d", "%d/%m/%Y", "%d-%m-%Y", "%Y%m%d", "%d.%m.%Y"]
    )
    blocking: list[list[str] | str] = Field(default_factory=lambda: [*DEFAULT_BLOCKING])
    deterministic: bool = True
    threshold: float = Field(default=0.9, gt=0, lt=1)
    review_threshold: float = Field(default=0.3, gt=0, lt=1)
    margin: float = Field(default=4.0, ge=0, description="Match-weight lead over the runner-up.")
    candidates: int = Field(default=3, ge=1, le=20)
    name_tf: bool = True
    training: Training = Field(default_factory=Training)

    @model_validator(mode="after")
    def _check(self) -> LinkConfig:
        if self.review_threshold > self.threshold:
            raise ValueError("`review_threshold` must not exceed `threshold`")
        for rule in [*self.blocking, *self.training.em_blocking]:
            for col in [rule] if isinstance(rule, str) else rule:
                if isinstance(rule, list) and col not in CANONICAL:
                    raise ValueError(
                        f"blocking column {col!r} is not one of: {', '.join(CANONICAL)}"
                    )
            if isinstance(rule, list) and not rule:
                raise ValueError("an empty blocking rule would compare every pair")
        return self

    def side(self, which: str) -> Columns:
        """Columns of the left or right input (right falls back to the shared columns)."""
        cols = self.right_columns if which == "right" and self.right_columns else self.columns
        if cols is None:
            raise LinkConfigError("`columns` is required to link files")
        return cols


def _format_error(err: ValidationError) -> str:
    lines = []
    for e in err.errors():
        where = ".".join(str(p) for p in e["loc"]) or "(top level)"
        lines.append(f"{where}: {e['msg']}")
    return "; ".join(lines)


def parse_config(data: dict[str, Any] | None) -> LinkConfig:
    """Validate a configuration mapping, raising ``LinkConfigError`` with readable messages."""
    try:
        return LinkConfig.model_validate(data or {})
    except ValidationError as err:
        raise LinkConfigError(f"invalid link configuration: {_format_error(err)}") from None


def load_config(path: Path | None) -> LinkConfig:
    """Read ``link.yaml``; no path gives the defaults (national linking needs no columns)."""
    if path is None:
        return LinkConfig()
    if not path.is_file():
        raise LinkConfigError(f"link configuration not found: {path}")
    try:
        data = yaml.safe_load(path.read_text(encoding="utf-8"))
    except yaml.YAMLError as err:
        raise LinkConfigError(f"{path} is not valid YAML: {err}") from None
    if data is not None and not isinstance(data, dict):
        raise LinkConfigError(f"{path} must hold a mapping of settings")
    try:
        return parse_config(data)
    except LinkConfigError as err:
        raise LinkConfigError(f"{path}: {err}") from None
