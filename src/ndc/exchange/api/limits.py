"""Per-client rate limits (token bucket) and daily quotas, answered with ``429`` + ``Retry-After``.

Rates are enforced in each worker process with an in-memory bucket holding ``1/workers`` of the
client's rate and burst: no shared round trip on the request path, and the total over all
workers is the configured rate. Daily quotas are counted in the store (``exchange_quota_usage``,
added to by the group commit) and read back at most once a second, so a client may overshoot
its quota by at most about a second of traffic.
"""

from __future__ import annotations

import math
import threading
import time
from dataclasses import dataclass
from datetime import UTC, datetime

from sqlalchemy import Engine, Integer, String, select
from sqlalchemy.orm import Mapped, mapped_column

from ndc.exchange.exceptions import ExchangeError
from ndc.store.engine import Base


class ClientLimit(Base):
    """A client's own limits; clients without a row get the settings' defaults."""

    __tablename__ = "exchange_client_limits"

    client_id: Mapped[str] = mapped_column(String(80), primary_key=True)
    rate_per_second: Mapped[float | None] = mapped_column()
    burst: Mapped[int | None] = mapped_column(Integer)
    daily_quota: Mapped[int | None] = mapped_column(Integer)


class QuotaUsage(Base):
    """Requests a client made on one UTC day (all processes together)."""

    __tablename__ = "exchange_quota_usage"

    client_id: Mapped[str] = mapped_column(String(80), primary_key=True)
    day: Mapped[str] = mapped_column(String(10), primary_key=True)
    count: Mapped[int] = mapped_column(Integer, nullable=False)


class RateLimited(ExchangeError):
    """Too many requests for the client's rate; retry after ``retry_after`` seconds."""

    problem_type = "rate-limited"
    status = 429

    def __init__(self, detail: str, retry_after: int) -> None:
        super().__init__(detail)
        self.retry_after = retry_after


class QuotaExceeded(RateLimited):
    """The client's daily quota is used up; it renews at midnight UTC."""

    problem_type = "quota-exceeded"


@dataclass
class _Bucket:
    rate: float
    burst: float
    tokens: float
    stamp: float
    quota: int | None
    checked: float = 0.0  # when the limits were last read from the store


def _today() -> str:
    return datetime.now(UTC).date().isoformat()


class Limiter:
    """Token buckets per client in this process, limits re-read every ``refresh`` seconds."""

    def __init__(
        self,
        engine: Engine,
        rate: float,
        burst: int,
        daily_quota: int | None,
        workers: int = 1,
        refresh: float = 5.0,
    ) -> None:
        self.engine = engine
        self.default = (rate, burst, daily_quota)
        self.share = 1.0 / max(1, workers)
        self.refresh = refresh
        self._buckets: dict[str, _Bucket] = {}
        self._used: dict[str, tuple[str, int, float]] = {}  # client -> (day, count, read at)
        self._lock = threading.Lock()

    def _limits(self, client_id: str) -> tuple[float, int, int | None]:
        with self.engine.connect() as conn:
            row = conn.execute(
                select(ClientLimit.rate_per_second, ClientLimit.burst, ClientLimit.daily_quota)
                .where(ClientLimit.client_id == client_id)
            ).first()  # fmt: skip
        rate, burst, quota = self.default
        if row is not None:
            rate = row[0] if row[0] is not None else rate
            burst = row[1] if row[1] is not None else burst
            quota = row[2] if row[2] is not None else quota
        return rate, burst, quota

    def check(self, client_id: str) -> None:
        """Take one token for ``client_id`` or raise :class:`RateLimited`/:class:`QuotaExceeded`."""
        now = time.monotonic()
        bucket = self._buckets.get(client_id)
        if bucket is None or now - bucket.checked > self.refresh:
            rate, burst, quota = self._limits(client_id)
            rate, cap = rate * self.share, max(1.0, burst * self.share)
            with self._lock:
                if bucket is None:
                    bucket = _Bucket(rate, cap, cap, now, quota, now)
                    self._buckets[client_id] = bucket
                else:
                    bucket.rate, bucket.burst, bucket.quota, bucket.checked = rate, cap, quota, now
        with self._lock:
            bucket.tokens = min(bucket.burst, bucket.tokens + (now - bucket.stamp) * bucket.rate)
            bucket.stamp = now
            if bucket.tokens < 1.0:
                wait = math.ceil((1.0 - bucket.tokens) / bucket.rate)
                raise RateLimited(
                    f"client {client_id} is limited to {bucket.rate / self.share:g} requests/s",
                    retry_after=max(1, wait),
                )
            bucket.tokens -= 1.0
        if bucket.quota is not None:
            self._check_quota(client_id, bucket.quota, now)

    def _check_quota(self, client_id: str, quota: int, now: float) -> None:
        day = _today()
        seen = self._used.get(client_id)
        if seen is None or seen[0] != day or now - seen[2] > 1.0:
            with self.engine.connect() as conn:
                count = conn.execute(
                    select(QuotaUsage.count).where(
                        QuotaUsage.client_id == client_id, QuotaUsage.day == day
                    )
                ).scalar()
            seen = (day, int(count or 0), now)
        day, count, read_at = seen
        self._used[client_id] = (day, count + 1, read_at)
        if count >= quota:
            midnight = datetime.fromisoformat(day).replace(tzinfo=UTC).timestamp() + 86_400
            raise QuotaExceeded(
                f"client {client_id} used its quota of {quota} requests for {day}",
                retry_after=max(1, int(midnight - time.time())),
            )
