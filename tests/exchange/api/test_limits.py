"""Limits of the exchange API: request body size (declared or streamed), per-client rate and
daily quota, each refused with a problem document (413, 429 with ``Retry-After``)."""

from __future__ import annotations

import socket
import threading
import time
from collections.abc import Iterator

import httpx
import pytest
import uvicorn
from tests.exchange.api.attacks import admin_headers, assert_problem, call_headers
from tests.exchange.api.conftest import AN, BINH, Api

from ndc.exchange import make_token

PERSON = f"/api/v1/persons/{AN}"
LIMITS = "/api/v1/admin/clients/BHXH/claims/limits"


@pytest.fixture
def base_url(api: Api) -> Iterator[str]:
    """The fixture's app behind a real HTTP server on loopback (chunked bodies arrive in parts)."""
    with socket.socket() as s:
        s.bind(("127.0.0.1", 0))
        port = s.getsockname()[1]
    server = uvicorn.Server(uvicorn.Config(api.client.app, host="127.0.0.1", port=port,
                                           log_level="warning", lifespan="off"))  # fmt: skip
    thread = threading.Thread(target=server.run, daemon=True)
    thread.start()
    deadline = time.monotonic() + 10
    while not server.started:
        assert time.monotonic() < deadline, "server did not start"
        time.sleep(0.01)
    yield f"http://127.0.0.1:{port}"
    server.should_exit = True
    thread.join(10)


def _verify_body(size: int) -> bytes:
    """A verification request of exactly ``size`` bytes (a long claimed name)."""
    head = b'{"dataset": "person", "id": "%s", "attributes": {"full_name": "' % AN.encode()
    tail = b'"}}'
    return head + b"x" * (size - len(head) - len(tail)) + tail


def test_declared_oversized_body_is_refused_before_it_is_read(api: Api, base_url: str) -> None:
    limit = api.settings.max_body_bytes
    body = _verify_body(limit + 1)
    assert len(body) == limit + 1
    r = httpx.post(
        f"{base_url}/api/v1/verify",
        content=body,
        headers={**call_headers(api.token()), "Content-Type": "application/json"},
    )
    assert_problem(r, 413, "payload-too-large")  # fmt: skip
    r = api.client.post(
        "/api/v1/persons/bulk",
        content=b"[" * (limit + 10),
        headers={**call_headers(api.token()), "Content-Type": "application/json"},
    )
    assert_problem(r, 413, "payload-too-large")  # fmt: skip
    assert api.ledger_events() == []


def test_streamed_oversized_body_is_refused(api: Api, base_url: str) -> None:
    limit = api.settings.max_body_bytes
    chunk = b"x" * 65_536

    def chunks() -> Iterator[bytes]:
        yield b'{"dataset": "person", "id": "%s", "attributes": {"full_name": "' % AN.encode()
        for _ in range(limit // len(chunk) + 2):
            yield chunk
        yield b'"}}'

    hdrs = {**call_headers(api.token()), "Content-Type": "application/json"}
    r = httpx.post(f"{base_url}/api/v1/verify", content=chunks(), headers=hdrs)
    assert "content-length" not in r.request.headers  # sent chunked, size unknown up front
    assert_problem(r, 413, "payload-too-large")
    assert api.ledger_events() == []


def test_body_just_under_the_limit_is_read(api: Api, base_url: str) -> None:
    body = _verify_body(api.settings.max_body_bytes - 100)
    hdrs = {**call_headers(api.token()), "Content-Type": "application/json"}
    r = httpx.post(f"{base_url}/api/v1/verify", content=body, headers=hdrs)
    assert r.status_code == 200, r.text
    assert r.json()["results"] == {"full_name": "no-match"}


def test_burst_then_429_with_retry_after_and_no_data(api: Api) -> None:
    r = api.client.put(LIMITS, json={"rate_per_second": 0.5, "burst": 3},
                       headers=admin_headers(api))  # fmt: skip
    assert r.status_code == 200, r.text
    codes = [api.client.get(PERSON, headers=api.headers()).status_code for _ in range(3)]
    assert codes == [200, 200, 200]
    r = api.client.get(f"/api/v1/persons/{BINH}", headers=api.headers())
    assert_problem(r, 429, "rate-limited")
    assert r.headers["retry-after"].isdigit() and int(r.headers["retry-after"]) >= 1
    assert [e["decision"] for e in api.ledger_events()] == ["permit"] * 3  # the 4th never ran


def test_daily_quota_then_429_quota_exceeded_for_that_client_only(api: Api) -> None:
    r = api.client.put(LIMITS, json={"daily_quota": 3}, headers=admin_headers(api))
    assert r.status_code == 200, r.text
    for _ in range(3):
        assert api.client.get(PERSON, headers=api.headers()).status_code == 200
    r = api.client.get(PERSON, headers=api.headers())
    body = assert_problem(r, 429, "quota-exceeded")
    assert "quota" in body["detail"]
    retry = int(r.headers["retry-after"])
    assert 1 <= retry <= 86_400  # until midnight UTC
    # another client of the same member has its own (default, unlimited) quota
    adm = admin_headers(api)
    r = api.client.post("/api/v1/admin/members/BHXH/clients", headers=adm,
                        json={"code": "portal", "name": "Portal"})  # fmt: skip
    assert r.status_code == 201, r.text
    issued = api.client.post("/api/v1/admin/clients/BHXH/portal/keys", json={}, headers=adm)
    assert issued.status_code == 201, issued.text
    k = issued.json()
    token = make_token(k["private_key_pem"], k["key"]["kid"], "BHXH/portal")
    r = api.client.get(PERSON, headers=call_headers(token))
    assert r.status_code == 403  # past the limiter: refused by the catalogue, not the quota
    assert r.json()["type"].endswith("/consent-required")


def test_limits_admin_refuses_bad_input_and_unknown_clients(api: Api) -> None:
    adm = admin_headers(api)
    for body in ({"rate_per_second": 0}, {"burst": -1}, {"daily_quota": 0},
                 {"rate_per_second": "fast"}, {"burst": 10**30}):  # fmt: skip
        assert_problem(api.client.put(LIMITS, json=body, headers=adm), 422)
    r = api.client.put("/api/v1/admin/clients/BHXH/nobody/limits", json={}, headers=adm)
    assert_problem(r, 404, "not-found")
    assert_problem(api.client.put(LIMITS, json={"burst": 1}, headers=api.headers()), 401,
                   "admin-required")  # fmt: skip
