"""``/api/v1/subscriptions`` (push, Standard Webhooks) and ``/api/v1/changes`` (pull feed).

A client manages only its own subscriptions. Subscribing to, or reading the feed of, a dataset
needs the same entitlement as reading it for the call's purpose; notices then name only the
attributes the client may read, never values.
"""

# No `from __future__ import annotations`: FastAPI must see the real types of the parameters.

import asyncio
from collections.abc import Collection, Sequence
from typing import Annotated

from fastapi import APIRouter, Query, Response
from sqlalchemy.orm import Session

from ndc.exchange.api.context import ExchangeContext
from ndc.exchange.api.deps import Call, CallDep, ContextDep
from ndc.exchange.subscriptions import service
from ndc.exchange.subscriptions.changes import feed
from ndc.exchange.subscriptions.entitlement import PolicyLike, readable_fields
from ndc.exchange.subscriptions.schemas import (
    ChangeFeed,
    ChangeNotice,
    CreatedSubscription,
    Dataset,
    DeliveryOut,
    DeliveryStatus,
    SubscriptionIn,
    SubscriptionOut,
)
from ndc.ledger import AccessEvent


def _readable(
    policy: PolicyLike, call: Call, dataset: str, fields: list[str] | None = None
) -> tuple[str, ...]:
    return readable_fields(
        policy,
        client_id=call.client_id,
        member_code=call.member_code,
        dataset=dataset,
        purpose=call.purpose,
        fields=fields,
    )


def _notice_events(
    ctx: ExchangeContext, call: Call, notices: Sequence[ChangeNotice]
) -> list[AccessEvent]:
    return [
        ctx.notice_event(
            client_id=call.client_id,
            member_code=call.member_code,
            purpose=call.purpose,
            dataset=str(n.dataset),
            subject=n.subject,
            attributes=n.attributes or (),
            request_id=call.request_id,
            hidden_until=call.covert_until,
        )
        for n in notices
    ]


def build_router() -> APIRouter:
    router = APIRouter(prefix="/api/v1", tags=["subscriptions"])

    @router.post(
        "/subscriptions",
        status_code=201,
        summary="Subscribe to changes of a dataset (the signing secret is shown once)",
    )
    def create(body: SubscriptionIn, call: CallDep, ctx: ContextDep) -> CreatedSubscription:
        allowed = _readable(ctx.policy, call, body.dataset, body.attributes)
        with Session(ctx.engine) as s, s.begin():
            return service.create_subscription(
                s, call.client_id, body, call.purpose, allowed_fields=allowed,
                allow_http=ctx.settings.demo,
            )  # fmt: skip

    @router.get("/subscriptions", summary="The calling client's subscriptions")
    def list_all(call: CallDep, ctx: ContextDep) -> list[SubscriptionOut]:
        with Session(ctx.engine) as s:
            return service.list_subscriptions(s, call.client_id)

    @router.get("/subscriptions/{subscription_id}", summary="One subscription")
    def get(subscription_id: str, call: CallDep, ctx: ContextDep) -> SubscriptionOut:
        with Session(ctx.engine) as s:
            return service.get_subscription(s, call.client_id, subscription_id)

    @router.delete(
        "/subscriptions/{subscription_id}", status_code=204, summary="Stop a subscription"
    )
    def delete(subscription_id: str, call: CallDep, ctx: ContextDep) -> Response:
        with Session(ctx.engine) as s, s.begin():
            service.delete_subscription(s, call.client_id, subscription_id)
        return Response(status_code=204)

    @router.get(
        "/subscriptions/{subscription_id}/deliveries",
        summary="Deliveries of a subscription, newest first (filter failed ones to replay)",
    )
    def deliveries(
        subscription_id: str,
        call: CallDep,
        ctx: ContextDep,
        status: DeliveryStatus | None = None,
        limit: Annotated[int, Query(ge=1, le=1000)] = 100,
        before_seq: Annotated[int | None, Query(ge=1)] = None,
    ) -> list[DeliveryOut]:
        with Session(ctx.engine) as s:
            return service.list_deliveries(s, call.client_id, subscription_id, status, limit,
                                           before_seq)  # fmt: skip

    @router.post(
        "/subscriptions/{subscription_id}/deliveries/{delivery_id}/redeliver",
        status_code=202,
        summary="Send a delivery again, with the same webhook-id",
    )
    def redeliver(
        subscription_id: str, delivery_id: str, call: CallDep, ctx: ContextDep
    ) -> DeliveryOut:
        with Session(ctx.engine) as s, s.begin():
            return service.redeliver(s, call.client_id, subscription_id, delivery_id)

    @router.get("/changes", summary="Pull feed of changes (names of changed attributes only)")
    async def changes(
        call: CallDep,
        ctx: ContextDep,
        dataset: Annotated[list[Dataset], Query(min_length=1, max_length=2)],
        cursor: Annotated[int, Query(ge=0)] = 0,
        limit: Annotated[int, Query(ge=1, le=1000)] = 100,
    ) -> ChangeFeed:
        readable: dict[str, Collection[str] | None] = {
            d: _readable(ctx.policy, call, d) for d in sorted(set(dataset))
        }
        page = await asyncio.to_thread(feed, ctx.engine, readable, cursor, limit)
        # That a person changed (and which attributes: a death, a new address) is personal
        # data: every notice handed out is an access in the subject's history.
        await ctx.audit(_notice_events(ctx, call, page.events))
        return page

    return router
