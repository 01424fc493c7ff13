"""Hostile and random input: identifiers, field lists, call headers and bodies crafted to break
parsing or queries are refused with a 4xx problem document (never a 5xx or a stack trace), and
every operation of the OpenAPI document is fuzzed with schemathesis, authenticated."""

from __future__ import annotations

import os
from collections import Counter
from dataclasses import dataclass
from typing import Any
from urllib.parse import quote

import pytest
import schemathesis
from hypothesis import HealthCheck, Phase, given, settings
from hypothesis.errors import Unsatisfiable
from schemathesis.checks import not_a_server_error
from schemathesis.core.result import Ok
from schemathesis.generation import GenerationMode
from tests.exchange.api.attacks import (
    PROBLEM_JSON,
    admin_headers,
    assert_discloses_nothing,
    assert_problem,
)
from tests.exchange.api.conftest import AN, MST, Api

PERSON = f"/api/v1/persons/{AN}"
SQL = ["1' OR '1'='1", "'; DROP TABLE golden_records; --", '" OR ""="', "1; SELECT pg_sleep(5)",
       "%27%20OR%201=1", "\\' UNION SELECT * FROM exchange_client_keys --"]  # fmt: skip
WEIRD = ["\x00", "\u202e1000090100", "００１０９００００００１", "٠٠١٠٩٠٠٠٠٠٠١", "0" * 5000,
         "${jndi:ldap://x}", "{{7*7}}", "../../etc/passwd", "<script>alert(1)</script>",
         '{"$ne": null}', "\ufeff001090000001", "001090000001\n", "🙂" * 50]  # fmt: skip


def _check(r: Any) -> None:
    """A refusal of hostile input: any 4xx, as a problem document, disclosing nothing."""
    assert 400 <= r.status_code < 500, (r.status_code, r.text[:300])
    assert r.headers["content-type"] == PROBLEM_JSON
    assert_discloses_nothing(r)


def test_hostile_identifiers_in_the_path(api: Api) -> None:
    for bad in SQL + WEIRD:
        seg = quote(bad, safe="")
        for path in (f"/api/v1/persons/{seg}", f"/api/v1/enterprises/{seg}",
                     f"/api/v1/persons/{seg}/land-parcels",
                     f"/api/v1/citizens/{seg}/access-history"):  # fmt: skip
            _check(api.client.get(path, headers=api.headers()))
    assert api.ledger_events() == []  # nothing well-formed was asked for


def test_hostile_field_lists(api: Api) -> None:
    lists = [*SQL, *WEIRD, "full_name,", ",,,", "full_name,full_name", "a" * 65, "a" * 2001,
             "FULL_NAME", "full_name;phone", "full_name phone", "__class__", "values",
             ",".join(["phone"] * 300)]  # fmt: skip
    for fields in lists:
        r = api.client.get(PERSON, params={"fields": fields}, headers=api.headers())
        if r.status_code == 200:  # tolerated spelling of a permitted list
            assert set(r.json()["fields"]) <= {"full_name", "date_of_birth", "sex"}, fields
            continue
        _check(r)
    assert {e["decision"] for e in api.ledger_events()} <= {"deny", "permit"}


def test_field_list_of_a_thousand_names_is_refused_without_server_error(api: Api) -> None:
    r = api.client.get(PERSON, params={"fields": ",".join(["a"] * 999)}, headers=api.headers())
    _check(r)


HEADERS = ["X-NDC-Purpose", "X-NDC-User-Id", "X-NDC-Case-Ref", "X-NDC-Covert-Until",
           "X-Request-Id"]  # fmt: skip


def test_hostile_call_headers(api: Api) -> None:
    values: list[str | bytes] = [*SQL, "", "a" * 101, "a" * 8000, "x\u200by".encode(),
                                 "cán.bộ".encode(), "a\r\nX-Evil: 1", "a\x00b"]  # fmt: skip
    for name in HEADERS:
        for value in values:
            hdrs: dict[str, Any] = {**api.headers(), name: value}
            r = api.client.get(PERSON, headers=hdrs)
            assert "x-evil" not in r.headers
            if name == "X-Request-Id":  # optional: a bad one is replaced, never echoed
                assert r.status_code == 200, r.text
                assert r.json()["access"]["request_id"] != value
                continue
            _check(r)
            if name != "X-NDC-Covert-Until":
                assert r.json()["type"].endswith(("/bad-call-header", "/unknown-purpose")), r.text
    assert {e["request_id"] for e in api.ledger_events()}.isdisjoint(values)


def test_response_headers_echo_nothing_from_the_request(api: Api) -> None:
    r = api.client.get(PERSON, headers={**api.headers(), "X-Request-Id": "rid-0001"})
    assert r.status_code == 200
    assert set(r.headers) <= {"content-type", "content-length", "date", "server"}, r.headers


def test_trailing_newline_in_a_call_header_is_refused(api: Api) -> None:
    for name in ("X-NDC-User-Id", "X-NDC-Case-Ref"):
        r = api.client.get(PERSON, headers={**api.headers(), name: "can.bo.01\n"})
        _check(r)


def test_hostile_bodies(api: Api) -> None:
    hdrs = {**api.headers(), "Content-Type": "application/json"}
    raw = [b"", b"null", b"[]", b"{", b'{"dataset": "person"}', b"[" * 100_000, b'{"a":' * 50_000,
           b'{"dataset": "person", "id": NaN, "attributes": {"x": "y"}}', b"\xff\xfe\x00",
           b'{"dataset": "person", "id": 1e999999, "attributes": {}}',
           b'{"ids": ["001090000001"], "ids": 5}']  # fmt: skip
    for body in raw:
        for path in ("/api/v1/verify", "/api/v1/persons/bulk", "/api/v1/enterprises/bulk"):
            _check(api.client.post(path, content=body, headers=hdrs))
    docs: list[dict[str, Any]] = [
        {"dataset": "person' OR 1=1 --", "id": AN, "attributes": {"full_name": "x"}},
        {"dataset": "person", "id": SQL[0], "attributes": {"full_name": "x"}},
        {"dataset": "person", "id": AN, "attributes": {SQL[1]: "x"}},
        {"dataset": "person", "id": AN, "attributes": {"full_name": {"$ne": None}}},
        {"dataset": "person", "id": AN, "attributes": {f"f{i}": "x" for i in range(51)}},
        {"dataset": "person", "id": AN, "attributes": {}},
        {"dataset": "land_parcel", "id": AN, "attributes": {"area_m2": "1"}},
    ]
    for doc in docs:
        _check(api.client.post("/api/v1/verify", json=doc, headers=api.headers()))
    for doc in ({"ids": []}, {"ids": "001090000001"}, {"ids": [AN], "fields": [SQL[0]]},
                {"ids": [AN], "fields": ["a"] * 201}, {"ids": [{"$gt": ""}]}):  # fmt: skip
        _check(api.client.post("/api/v1/persons/bulk", json=doc, headers=api.headers()))


def test_bulk_answers_hostile_identifiers_one_by_one(api: Api) -> None:
    ids = [*SQL, *WEIRD[:4], AN]
    r = api.client.post("/api/v1/persons/bulk", json={"ids": ids}, headers=api.headers())
    assert r.status_code == 200, r.text
    results = r.json()["results"]
    assert [x["status"] for x in results] == ["malformed-identifier"] * (len(ids) - 1) + ["found"]
    assert all(len(x["id"]) <= 20 for x in results)  # hostile input is not echoed at length
    assert len(api.ledger_events()) == 1


def test_admin_api_refuses_hostile_input(api: Api) -> None:
    adm = admin_headers(api)
    for code in [c for c in SQL + WEIRD if not c.endswith("\n")]:  # that one: test below
        r = api.client.post("/api/v1/admin/members", headers=adm,
                            json={"code": code, "name_vi": "x", "name_en": "x",
                                  "kind": "public_body"})  # fmt: skip
        _check(r)
        _check(api.client.delete(f"/api/v1/admin/keys/{quote(code, safe='')}", headers=adm))
    r = api.client.post("/api/v1/admin/clients/BHXH/claims/keys", headers=adm,
                        json={"public_key_pem": "-----BEGIN PUBLIC KEY-----\nAAAA\n"})  # fmt: skip
    assert_problem(r, 400, "invalid-key")


def test_member_code_ending_in_a_newline_is_refused(api: Api) -> None:
    r = api.client.post("/api/v1/admin/members", headers=admin_headers(api),
                        json={"code": "TCT\n", "name_vi": "x", "name_en": "x",
                              "kind": "public_body"})  # fmt: skip
    _check(r)


def test_log_entry_index_beyond_64_bits_is_refused(api: Api) -> None:
    _check(api.client.get("/log/entries/99999999999999999999"))


# ---- schemathesis over every operation ---------------------------------------------------------

# Deterministic and quick by default; NDC_FUZZ_EXAMPLES=60 NDC_FUZZ_RANDOM=1 digs deeper.
EXAMPLES = int(os.environ.get("NDC_FUZZ_EXAMPLES", "6"))
RANDOM = bool(os.environ.get("NDC_FUZZ_RANDOM"))
VALID_CALL = {"X-NDC-Purpose": "social-insurance", "X-NDC-User-Id": "can.bo.01"}
KNOWN_IDS = {"cccd": AN, "mst": MST}


@dataclass(frozen=True)
class Plan:
    """How one operation is fuzzed: the generation mode and what is held fixed."""

    mode: GenerationMode
    headers: dict[str, str] | None = None
    path: dict[str, str] | None = None

    def __str__(self) -> str:
        fixed = (" +call" if self.headers else "") + (" +ids" if self.path else "")
        return f"{self.mode.value}{fixed}"


def _plans(op: Any) -> list[Plan]:
    plans = [Plan(GenerationMode.POSITIVE), Plan(GenerationMode.NEGATIVE)]
    if any(p.name == "X-NDC-Purpose" for p in op.headers):
        # call headers right, so that the fuzzed path, query and body are reached
        plans.append(Plan(GenerationMode.POSITIVE, VALID_CALL))
        known = {p.name: KNOWN_IDS[p.name] for p in op.path_parameters if p.name in KNOWN_IDS}
        if known:  # and a record that exists, so that fields= and bodies reach the policy
            plans.append(Plan(GenerationMode.POSITIVE, VALID_CALL, known))
    return plans


def _fuzz(api: Api, op: Any, plan: Plan, seen: Counter[tuple[GenerationMode, int]]) -> None:
    admin = op.path.startswith("/api/v1/admin/")
    secured = bool(op.definition.raw.get("security"))
    strategy = op.as_strategy(generation_mode=plan.mode, headers=plan.headers,
                              path_parameters=plan.path)  # fmt: skip

    @given(case=strategy)
    @settings(max_examples=EXAMPLES, deadline=None, derandomize=not RANDOM, database=None,
              phases=[Phase.explicit, Phase.generate, Phase.shrink],
              suppress_health_check=list(HealthCheck))  # fmt: skip
    def run(case: Any) -> None:
        # a fresh single-use token on every call (admin operations take the admin token)
        auth = admin_headers(api) if admin else {"Authorization": f"Bearer {api.token()}"}
        response = case.call(headers=auth if secured else None)
        seen[plan.mode, response.status_code] += 1
        case.validate_response(response, checks=[not_a_server_error])
        if response.status_code >= 400:
            kind = response.headers.get("content-type", [""])[0]
            assert kind == PROBLEM_JSON, (op.label, response.status_code, kind)
            assert "Traceback" not in response.text

    run()


@pytest.mark.parametrize("store_url", ["sqlite"], indirect=True)
def test_schemathesis_finds_no_server_error_in_any_operation(api: Api) -> None:
    schema = schemathesis.openapi.from_asgi("/openapi.json", api.client.app)
    failures: list[str] = []
    seen: Counter[tuple[GenerationMode, int]] = Counter()
    results = list(schema.get_all_operations())
    operations = [result.ok() for result in results if isinstance(result, Ok)]
    assert len(operations) == len(results), "the OpenAPI document has invalid operations"
    for op in operations:
        for plan in _plans(op):
            try:
                _fuzz(api, op, plan, seen)
            except Unsatisfiable:  # nothing negative to send (no parameters, or none breakable)
                continue
            except Exception as exc:
                failures.append(f"{op.label} [{plan}]: {str(exc)[:1500]}")
    assert len(operations) > 30
    assert not failures, "\n\n".join(failures)
    # the run went past authentication (negative cases also drop the credentials on purpose)
    positive = {status: n for (mode, status), n in seen.items() if mode.is_positive}
    assert 401 not in positive, positive
    assert sum(n for status, n in positive.items() if status < 300) > len(operations), positive
