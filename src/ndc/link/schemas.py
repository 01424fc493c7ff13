"""Results of linking runs and review items (pydantic, for the CLI and later the API)."""

from __future__ import annotations

from datetime import datetime

from pydantic import BaseModel, Field


class SourceLinkCounts(BaseModel):
    """Where one source's records stand after a run (all its records, not only this run's)."""

    source_id: str
    entity: str
    records: int = 0
    linked: int = 0
    review: int = 0
    unmatched: int = 0
    master: int = 0
    deterministic: int = 0
    probabilistic: int = 0
    reviewer: int = 0
    linked_this_run: int = Field(0, description="Records (re)linked by this run.")


class LinkRunReport(BaseModel):
    run_id: str
    seconds: float
    residue: int = Field(0, description="Person records scored by Splink in this run.")
    trained: bool = False
    sources: list[SourceLinkCounts] = Field(default_factory=list)
    timings: dict[str, float] = Field(default_factory=dict)


class Candidate(BaseModel):
    target_id: str
    match_probability: float
    rank: int


class ReviewItem(BaseModel):
    """A record waiting for a reviewer, with its best candidates."""

    source_id: str
    record_key: str
    entity: str
    candidates: list[Candidate]


class Decision(BaseModel):
    source_id: str
    record_key: str
    entity: str
    target_id: str | None
    decision: str
    reviewer: str
    decided_at: datetime
    note: str | None = None


class FileLinkReport(BaseModel):
    """Outcome of ``ndc link run`` on two files."""

    left_rows: int
    right_rows: int
    pairs: int
    linked: int
    review: int
    deterministic: int
    residue: int
    seconds: float
