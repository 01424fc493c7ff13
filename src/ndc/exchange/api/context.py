"""What every exchange request needs, built once per app: store, verifier, policy, ledger."""

from __future__ import annotations

import hashlib
import hmac
import json
from collections.abc import Callable, Sequence
from datetime import datetime
from functools import cached_property
from typing import TYPE_CHECKING

from sqlalchemy import Connection, Engine
from sqlalchemy.exc import SQLAlchemyError

from ndc.exchange.api.commit import GroupCommitter
from ndc.exchange.api.limits import Limiter
from ndc.exchange.api.reader import FastReader
from ndc.exchange.auth import KEY_SQL, TokenVerifier
from ndc.exchange.exceptions import ReplayedToken
from ndc.exchange.policy import NotEntitled, PolicyEngine
from ndc.ledger import AccessEvent, Ledger, LedgerError, get_ledger
from ndc.ledger.service import enqueue_with, queue_rows
from ndc.problems import ProblemError
from ndc.settings import Settings

if TYPE_CHECKING:
    from ndc.exchange.api.deps import Call


def admin_secret(settings: Settings) -> str | None:
    """The admin API's bearer token: configured, or (demo mode only) derived from the seed."""
    if settings.admin_token is not None:
        return settings.admin_token.get_secret_value()
    if settings.demo:
        return settings.demo_secret("admin").hex()[:40]
    return None


CLIENT_SQL = (
    "SELECT c.id, c.active, m.code, m.active FROM exchange_clients c "
    "JOIN exchange_members m ON m.code = c.member_code WHERE c.id = ?"
)


def demo_api_key(settings: Settings, client_id: str) -> str:
    """A client's API key in demo mode (``X-API-Key``); refused outside demo mode."""
    secret = settings.demo_secret("api-keys")
    mac = hmac.new(secret, client_id.encode(), hashlib.sha256).hexdigest()[:32]
    return f"ndcdemo.{client_id}.{mac}"


class ExchangeContext:
    """Shared, thread-safe services of the exchange API (one per app)."""

    def __init__(self, settings: Settings, engine: Engine) -> None:
        self.settings = settings
        self.engine = engine
        self.reader = FastReader(engine)
        self.verifier = TokenVerifier(
            engine,
            audience=settings.exchange_audience,
            key_lookup=lambda kid: self.reader.one(KEY_SQL, (kid,)),
        )
        self.limiter = Limiter(
            engine,
            rate=settings.exchange_rate_per_second,
            burst=settings.exchange_burst,
            daily_quota=settings.exchange_daily_quota,
            workers=settings.serve_workers,
        )
        self.committer = GroupCommitter(engine)
        self._admin = admin_secret(settings)

    @cached_property
    def policy(self) -> PolicyEngine:
        return PolicyEngine(self.engine)

    @cached_property
    def ledger(self) -> Ledger:
        return get_ledger(self.settings, start=False)

    def subject_ref(self, identifier: str) -> str:
        return self.ledger.subject_ref(identifier)

    def api_key_client(self, api_key: str) -> tuple[str, str] | None:
        """``(client_id, member_code)`` of a valid demo API key of an active client, else None."""
        if not self.settings.demo or api_key.count(".") < 2:
            return None
        client_id = api_key[len("ndcdemo.") : api_key.rindex(".")]
        expected = demo_api_key(self.settings, client_id)
        if not hmac.compare_digest(api_key, expected):
            return None
        row = self.reader.one(CLIENT_SQL, (client_id,))
        if row is None or not (row[1] and row[3]):
            return None
        return str(row[0]), str(row[2])

    def notice_event(
        self,
        *,
        client_id: str,
        member_code: str,
        purpose: str,
        dataset: str,
        subject: str,
        attributes: Sequence[str],
        request_id: str,
        hidden_until: datetime | None = None,
    ) -> AccessEvent:
        """The ledger entry of a change notice handed to a client (feed page or webhook):
        that the subject changed, and the names of the changed attributes."""
        decision = self.policy.decide(
            client_id=client_id,
            member_code=member_code,
            dataset=dataset,
            purpose=purpose,
            subject_id=None,
        )
        if not decision.permit:
            raise NotEntitled(f"{client_id} may not read {dataset}: {decision.reason}",
                              decision.reason)  # fmt: skip
        return AccessEvent(
            action=f"exchange:{dataset.replace('_', '-')}:notify",
            actor_member=member_code,
            actor_client=client_id,
            purpose=purpose,
            legal_basis=decision.legal_basis or f"catalogue rule {decision.rule_id}",
            subject_ref=self.subject_ref(subject),
            fields=tuple(f"{dataset}.{a}" for a in attributes),
            hidden_until=hidden_until,
            request_id=request_id[:100],
        )

    def admin_ok(self, token: str) -> bool:
        return self._admin is not None and hmac.compare_digest(token, self._admin)

    async def audit(self, events: Sequence[AccessEvent], call: Call | None = None) -> None:
        """Record access events in the ledger, with the call's token id if still pending.

        Durable when this returns; a token already used elsewhere raises
        :class:`ReplayedToken` (its entries are recorded as denied, disclosing nothing).
        """
        pending = call.take_pending() if call is not None else None
        if pending is None and not events:
            return
        try:
            first_use = await self.committer.commit(pending, events)
        except (LedgerError, SQLAlchemyError) as exc:
            raise ProblemError(
                503, "audit-unavailable", "Audit log unavailable", "the access could not be "
                "recorded, so it was not served; try again", headers={"Retry-After": "1"},
            ) from exc  # fmt: skip
        if not first_use:
            assert pending is not None
            raise ReplayedToken(f"token id {pending[1]!r} was already used")


def notice_audit(ctx: ExchangeContext) -> Callable[[Connection, str, str, str], None]:
    """The webhook dispatcher's audit hook: a notice is recorded in its subject's history, in
    the transaction that claims its first attempt, before it is sent."""

    def record(conn: Connection, client_id: str, purpose: str, payload: str) -> None:
        notice = json.loads(payload)
        event = ctx.notice_event(
            client_id=client_id,
            member_code=client_id.split("/", 1)[0],  # client ids are <member>/<code>
            purpose=purpose,
            dataset=str(notice["dataset"]),
            subject=str(notice["subject"]),
            attributes=notice.get("attributes") or (),
            request_id=str(notice["id"]),
        )
        cursor = conn.connection.cursor()
        try:
            enqueue_with(cursor, ctx.committer.mark, queue_rows([event]))
        finally:
            cursor.close()

    return record
