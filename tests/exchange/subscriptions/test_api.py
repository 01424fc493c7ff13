"""The subscription API: entitlement-checked, private to each client, webhooks and feed."""

from __future__ import annotations

from typing import Any

from sqlalchemy.orm import Session
from tests.exchange.api.conftest import AN, BINH, MST, PERSON_FIELDS, Api

from ndc.exchange import issue_key, register_client
from ndc.exchange.subscriptions import deliver_due, dispatch, new_http_client

from .conftest import Receiver, add_events

SUBS = "/api/v1/subscriptions"


def _subscribe(api: Api, url: str, **kw: Any) -> Any:
    r = api.client.post(SUBS, json={"dataset": "person", "callback_url": url, **kw},
                        headers=api.headers())  # fmt: skip
    assert r.status_code == 201, r.text
    return r.json()


def test_subscribe_receive_list_and_replay_over_the_api(api: Api, receiver: Receiver) -> None:
    created = _subscribe(api, receiver.url)
    receiver.secrets.append(created["secret"])
    assert created["attributes"] == PERSON_FIELDS  # what the catalogue lets BHXH/claims read
    assert created["purpose"] == "social-insurance"
    add_events(
        api.ctx.engine,
        ("person", AN, "updated", ["phone"]),  # not readable by this client: no notice
        ("person", AN, "updated", ["full_name", "phone"]),
        ("person", BINH, "deleted", None),
    )
    dispatch(api.ctx.engine)
    with new_http_client() as http:
        assert deliver_due(api.ctx.engine, http).delivered == 2
    assert [(p["type"], p["subject"], p["attributes"]) for p in receiver.processed] == [
        ("golden.person.updated", AN, ["full_name"]),  # phone is not named to this client
        ("golden.person.deleted", BINH, None),
    ]

    listed = api.client.get(SUBS, headers=api.headers()).json()
    assert [s["id"] for s in listed] == [created["id"]] and "secret" not in listed[0]
    url = f"{SUBS}/{created['id']}/deliveries"
    shown = api.client.get(url, headers=api.headers()).json()
    assert [(d["seq"], d["status"]) for d in shown] == [(3, "delivered"), (2, "delivered")]
    r = api.client.post(f"{url}/{shown[1]['id']}/redeliver", headers=api.headers())
    assert r.status_code == 202 and r.json()["status"] == "pending"
    with new_http_client() as http:
        deliver_due(api.ctx.engine, http)
    assert [a[0] for a in receiver.attempts].count(shown[1]["id"]) == 2  # same webhook-id


def test_subscribing_needs_the_entitlement_to_read(api: Api) -> None:
    body = {"dataset": "person", "callback_url": "https://claims.bhxh.gov.vn/hook"}
    cases = [
        (body, "tax-administration", "purpose-not-allowed"),
        ({**body, "dataset": "enterprise"}, "social-insurance", "no-entitlement"),
        ({**body, "attributes": ["phone"]}, "social-insurance", "fields-not-allowed"),
    ]
    for payload, purpose, problem in cases:
        r = api.client.post(SUBS, json=payload, headers=api.headers(purpose))
        assert r.status_code == 403, r.text
        assert r.headers["content-type"] == "application/problem+json"
        assert r.json()["type"].endswith("/" + problem)
    r = api.client.post(SUBS, json={**body, "dataset": "land_parcel"}, headers=api.headers())
    assert r.status_code == 422
    assert api.client.get(SUBS, headers=api.headers()).json() == []


def test_another_client_cannot_see_or_delete_a_subscription(api: Api) -> None:
    sub = _subscribe(api, "https://claims.bhxh.gov.vn/hook")
    with Session(api.ctx.engine) as s, s.begin():
        register_client(s, "BHXH", "pensions", "Pensions")
        key = issue_key(s, "BHXH/pensions")
    other = Api(api.client, api.ctx, key, "BHXH/pensions", api.settings)
    assert other.client.get(f"{SUBS}/{sub['id']}", headers=other.headers()).status_code == 404
    r = other.client.delete(f"{SUBS}/{sub['id']}", headers=other.headers())
    assert r.status_code == 404 and r.json()["type"].endswith("/not-found")
    assert api.client.delete(f"{SUBS}/{sub['id']}", headers=api.headers()).status_code == 204
    assert api.client.get(f"{SUBS}/{sub['id']}", headers=api.headers()).status_code == 404


def test_change_feed_is_minimised_and_entitlement_checked(api: Api) -> None:
    add_events(api.ctx.engine, ("person", AN, "created", None),
               ("enterprise", MST, "created", None),
               ("person", BINH, "updated", ["sex", "phone"]))  # fmt: skip
    r = api.client.get("/api/v1/changes?dataset=person&limit=10", headers=api.headers())
    assert r.status_code == 200, r.text
    body = r.json()
    assert [(e["seq"], e["subject"], e["attributes"]) for e in body["events"]] == [
        (1, AN, None), (3, BINH, ["sex"]),
    ]  # fmt: skip
    assert body["next_cursor"] == 3
    r = api.client.get("/api/v1/changes?dataset=person&dataset=enterprise", headers=api.headers())
    assert r.status_code == 403 and r.json()["type"].endswith("/no-entitlement")
    r = api.client.get("/api/v1/changes?dataset=person", headers=api.headers("statistics"))
    assert r.status_code == 403
