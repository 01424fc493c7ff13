"""The one settings object: every ``NDC_`` environment variable is read here and only here."""

from __future__ import annotations

import hashlib
from functools import lru_cache
from pathlib import Path

from pydantic import Field, SecretStr
from pydantic_settings import BaseSettings, SettingsConfigDict


class Settings(BaseSettings):
    """Runtime configuration; defaults give the embedded SQLite + DuckDB setup in ``./ndc-data``.

    Secrets have no defaults outside demo mode; they are checked where they are used (the ledger)
    so that commands which need none (synth, dictionary, pipeline) run without them.
    """

    model_config = SettingsConfigDict(env_prefix="NDC_", env_file=None, extra="ignore")

    data_dir: Path = Field(default=Path("ndc-data"), description="Where all embedded state lives.")
    database_url: str | None = Field(
        default=None,
        description="Serving store URL (SQLAlchemy). Default: SQLite file in the data directory.",
    )
    demo: bool = Field(default=False, description="Demo mode: allows demo secrets and API keys.")
    demo_citizens: int = Field(default=100_000, ge=100, description="Size of the demo data set.")
    seed: int = Field(default=20251, description="Default seed for synthetic data.")
    ledger_key_seed: SecretStr | None = Field(
        default=None,
        description="Ed25519 signing key of the ledger (hex seed); demo mode derives one.",
    )
    pseudonym_key: SecretStr | None = Field(
        default=None,
        description="Key for pseudonymous subject references in the ledger. Demo mode derives one.",
    )

    admin_token: SecretStr | None = Field(
        default=None,
        description="Bearer token of the exchange admin API. Demo mode derives one from the seed.",
    )
    exchange_audience: str = Field(
        default="https://ndc.gov.vn/api",
        description="The 'aud' every client token must carry: this deployment's API address.",
    )
    exchange_rate_per_second: float = Field(
        default=500.0, gt=0, description="Default per-client request rate (all workers together)."
    )
    exchange_burst: int = Field(default=1000, ge=1, description="Default per-client burst size.")
    exchange_daily_quota: int | None = Field(
        default=None, ge=1, description="Default per-client requests per day (none: unlimited)."
    )
    serve_workers: int = Field(
        default=1, ge=1, description="Worker processes of ndc serve (rate limits are split)."
    )
    subscriptions_dispatcher: bool = Field(
        default=True, description="Run the webhook dispatcher inside ndc serve."
    )
    max_body_bytes: int = Field(
        default=1_048_576, ge=1024, description="Largest request body the API accepts."
    )

    @property
    def store_url(self) -> str:
        """The serving store's SQLAlchemy URL."""
        if self.database_url:
            return self.database_url
        return f"sqlite:///{(self.data_dir / 'ndc.sqlite3').resolve()}"

    def demo_secret(self, label: str) -> bytes:
        """A demo-mode secret for ``label``, derived from the seed (never used outside demo)."""
        return hashlib.sha256(f"ndc-demo/{label}/{self.seed}".encode()).digest()

    def ensure_data_dir(self) -> Path:
        self.data_dir.mkdir(parents=True, exist_ok=True)
        return self.data_dir


@lru_cache(maxsize=1)
def get_settings() -> Settings:
    """The process-wide settings (tests build their own ``Settings`` instead)."""
    return Settings()
