"""Source configuration: one YAML file per agency database (see docs/onboarding-a-source.md)."""

from __future__ import annotations

from datetime import timedelta
from typing import Annotated, Literal

from pydantic import BaseModel, ConfigDict, Field, model_validator

Transform = Literal[
    "text",  # trimmed, NFC
    "name",  # person or enterprise name: NFC, tone placement, spacing, folded key
    "date",
    "identifier",  # CCCD / CMND / MST
    "phone",
    "address",
    "code",  # mapped to the field's code list
    "integer",
    "decimal",
]


class _Strict(BaseModel):
    model_config = ConfigDict(extra="forbid", frozen=True)


class Owner(_Strict):
    code: str = Field(description="Short code of the owner agency, e.g. 'bhxh'.")
    name_vi: str
    name_en: str


class FileConnection(_Strict):
    kind: Literal["file"] = "file"
    format: Literal["csv", "jsonl", "parquet"]
    path: str = Field(description="Glob relative to the data directory (or absolute).")
    encoding: Literal["auto", "utf-8", "cp1258", "tcvn3", "vni", "viscii"] = "auto"
    delimiter: str | None = Field(default=None, description="CSV delimiter; detected when unset.")


class SqlConnection(_Strict):
    kind: Literal["sql"] = "sql"
    url: str = Field(description="SQLAlchemy URL; '{data_dir}' is replaced by the data directory.")
    table: str | None = None
    query: str | None = None

    @model_validator(mode="after")
    def _table_or_query(self) -> SqlConnection:
        if (self.table is None) == (self.query is None):
            raise ValueError("give exactly one of 'table' or 'query'")
        return self


Connection = Annotated[FileConnection | SqlConnection, Field(discriminator="kind")]


class FieldMapping(_Strict):
    column: str = Field(description="Native column name in the source.")
    transform: Transform = "text"
    format: str | None = Field(default=None, description="Hint, e.g. a date format '%d/%m/%Y'.")
    values: dict[str, str] = Field(
        default_factory=dict,
        description="Source-specific value -> code, for the 'code' transform (e.g. '0': '2').",
    )


class Sync(_Strict):
    mode: Literal["full", "incremental"] = "full"
    watermark: str | None = Field(
        default=None, description="Native column that grows with every change (incremental mode)."
    )

    @model_validator(mode="after")
    def _watermark_for_incremental(self) -> Sync:
        if self.mode == "incremental" and not self.watermark:
            raise ValueError("incremental sync needs a 'watermark' column")
        return self


class Freshness(_Strict):
    max_age: timedelta = Field(description="How old the newest data may be, e.g. 'P30D'.")
    column: str | None = Field(
        default=None, description="Dictionary field holding each record's as-of date."
    )


class SourceConfig(_Strict):
    """One agency database onboarded into the national database."""

    id: str = Field(pattern=r"^[a-z][a-z0-9_]*$")
    title_vi: str
    title_en: str
    owner: Owner
    entity: str = Field(description="Dictionary entity the records describe, e.g. 'person'.")
    licence: str | None = Field(default=None, description="Sharing licence of the data.")
    connection: Connection
    key: list[str] = Field(min_length=1, description="Native columns identifying a record.")
    mapping: dict[str, FieldMapping] = Field(description="Dictionary field -> native column.")
    sync: Sync = Sync()
    freshness: Freshness | None = None
    rules: list[str] = Field(default_factory=list, description="Extra rule ids for this source.")
    disabled_rules: list[str] = Field(default_factory=list)
