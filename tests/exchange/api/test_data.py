"""Person lookups: authorised by the catalogue, minimised, with provenance, audited."""

from __future__ import annotations

from tests.exchange.api.conftest import AN, BINH, PERSON_FIELDS, Api


def test_person_lookup_returns_only_entitled_fields_with_provenance(api: Api) -> None:
    r = api.client.get(f"/api/v1/persons/{AN}", headers=api.headers())
    assert r.status_code == 200, r.text
    body = r.json()
    assert sorted(body["fields"]) == PERSON_FIELDS  # phone and marital status are not entitled
    expected = {"value": "Nguyễn Văn An", "source": "population",
                "as_of": "2026-01-01T08:00:00", "verified": True}  # fmt: skip
    assert body["fields"]["full_name"] == expected
    assert body["access"]["legal_basis"] == "Nghị định 278/2025/NĐ-CP"


def test_narrower_field_list_is_honoured_and_wider_one_refused(api: Api) -> None:
    r = api.client.get(f"/api/v1/persons/{AN}?fields=date_of_birth", headers=api.headers())
    assert list(r.json()["fields"]) == ["date_of_birth"]
    r = api.client.get(f"/api/v1/persons/{AN}?fields=date_of_birth,phone", headers=api.headers())
    assert r.status_code == 403
    assert r.headers["content-type"] == "application/problem+json"
    assert r.json()["type"].endswith("/fields-not-allowed")


def test_other_purpose_is_denied_and_the_denial_is_audited(api: Api) -> None:
    r = api.client.get(f"/api/v1/persons/{AN}", headers=api.headers("tax-administration"))
    assert r.status_code == 403
    assert r.json()["type"].endswith("/purpose-not-allowed")
    events = api.ledger_events()
    assert [e["decision"] for e in events] == ["deny"]
    assert events[0]["purpose"] == "tax-administration"
    assert events[0]["subject"] == api.ctx.subject_ref(AN)
    assert AN not in str(events)  # the public log holds a pseudonym, never the CCCD


def test_every_access_is_in_the_ledger_with_fields_and_basis(api: Api) -> None:
    for cccd in (AN, BINH, "001090000009"):  # the third has no record
        api.client.get(f"/api/v1/persons/{cccd}", headers=api.headers())
    events = api.ledger_events()
    assert len(events) == 3
    assert events[0]["fields"] == [f"person.{f}" for f in PERSON_FIELDS]
    assert events[0]["actor"] == {"client": "BHXH/claims", "member": "BHXH"}
    assert events[2]["fields"] == []  # not found: nothing was disclosed, the attempt is logged
    assert {e["legal_basis"] for e in events} == {"Nghị định 278/2025/NĐ-CP"}


def test_unknown_person_is_404_problem(api: Api) -> None:
    r = api.client.get("/api/v1/persons/001090000009", headers=api.headers())
    assert r.status_code == 404
    assert r.json()["type"].endswith("/not-found")


def test_malformed_and_injected_identifiers_are_refused_without_server_error(api: Api) -> None:
    for bad in (
        "12345",
        "00109000000a",
        "1' OR '1'='1",
        "001090000001;DROP",
        "%00",
        "999090000001",
    ):
        r = api.client.get(f"/api/v1/persons/{bad}", headers=api.headers())
        assert r.status_code in (404, 422), (bad, r.status_code)
        assert r.headers["content-type"] == "application/problem+json"


def test_verify_answers_match_per_attribute_and_discloses_nothing_else(api: Api) -> None:
    claims = {"date_of_birth": "1990-03-15", "full_name": "nguyễn  văn AN"}
    body = {"dataset": "person", "id": AN, "attributes": claims}
    r = api.client.post("/api/v1/verify", json=body, headers=api.headers())
    assert r.status_code == 200, r.text
    assert r.json() == {"dataset": "person", "id": AN,
                        "results": {"date_of_birth": "match", "full_name": "match"}}  # fmt: skip
    body["attributes"] = {"date_of_birth": "1990-03-16"}
    r = api.client.post("/api/v1/verify", json=body, headers=api.headers())
    assert r.json()["results"] == {"date_of_birth": "no-match"}
    body["attributes"] = {"phone": "0912345678"}  # not entitled, not even to verify
    r = api.client.post("/api/v1/verify", json=body, headers=api.headers())
    assert r.status_code == 403


def test_bulk_lookup_answers_each_identifier(api: Api) -> None:
    ids = [AN, BINH, "001090000009", "bad"]
    r = api.client.post("/api/v1/persons/bulk", json={"ids": ids}, headers=api.headers())
    assert r.status_code == 200, r.text
    results = r.json()["results"]
    assert [x["status"] for x in results] == ["found", "found", "not-found", "malformed-identifier"]
    assert sorted(results[1]["fields"]) == PERSON_FIELDS
    assert len(api.ledger_events()) == 3  # one per well-formed identifier


def test_bulk_over_1000_identifiers_is_refused(api: Api) -> None:
    r = api.client.post("/api/v1/persons/bulk", json={"ids": [AN] * 1001}, headers=api.headers())
    assert r.status_code == 422
    assert r.headers["content-type"] == "application/problem+json"


def test_demo_api_key_works_only_in_demo_mode(api: Api) -> None:
    from ndc.exchange.api.context import demo_api_key

    key = demo_api_key(api.settings, "BHXH/claims")
    hdrs = {"X-API-Key": key, "X-NDC-Purpose": "social-insurance", "X-NDC-User-Id": "demo"}
    r = api.client.get(f"/api/v1/persons/{AN}", headers=hdrs)
    assert r.status_code == 200, r.text
    forged = {**hdrs, "X-API-Key": key[:-1] + ("0" if key[-1] != "0" else "1")}
    assert api.client.get(f"/api/v1/persons/{AN}", headers=forged).status_code == 401
    api.ctx.settings = api.settings.model_copy(update={"demo": False})
    r = api.client.get(f"/api/v1/persons/{AN}", headers=hdrs)
    assert r.status_code == 401
    assert r.json()["type"].endswith("/unauthorized")


def test_change_feed_is_audited_per_subject(api: Api) -> None:
    import json
    from datetime import datetime

    from sqlalchemy.orm import Session

    from ndc.golden.models import ChangeEventRow

    with Session(api.ctx.engine) as s, s.begin():
        s.add(ChangeEventRow(seq=1, entity="person", entity_id=AN, version=2, kind="updated",
                             attributes=json.dumps(["date_of_birth", "phone"]), previous="{}",
                             sources='["population"]', run_id="r1",
                             created_at=datetime(2026, 2, 1)))  # fmt: skip
    r = api.client.get("/api/v1/changes?dataset=person", headers=api.headers())
    assert r.status_code == 200, r.text
    notices = r.json()["events"]
    assert [(n["subject"], n["attributes"]) for n in notices] == [(AN, ["date_of_birth"])]
    events = api.ledger_events()
    assert [(e["action"], e["subject"], e["fields"]) for e in events] == [
        ("exchange:person:notify", api.ctx.subject_ref(AN), ["person.date_of_birth"])]  # fmt: skip


def test_webhook_notice_is_recorded_before_it_is_sent(api: Api) -> None:
    import json
    import threading
    import time
    from datetime import datetime
    from http.server import BaseHTTPRequestHandler, ThreadingHTTPServer

    from sqlalchemy.orm import Session

    from ndc.golden.models import ChangeEventRow

    received: list[dict[str, object]] = []

    class Receiver(BaseHTTPRequestHandler):
        def do_POST(self) -> None:
            body = self.rfile.read(int(self.headers["content-length"]))
            received.append(json.loads(body))
            self.send_response(204)
            self.end_headers()

        def log_message(self, *args: object) -> None:
            pass

    server = ThreadingHTTPServer(("127.0.0.1", 0), Receiver)
    threading.Thread(target=server.serve_forever, daemon=True).start()
    try:
        url = f"http://127.0.0.1:{server.server_address[1]}/hook"
        wanted = {"dataset": "person", "callback_url": url, "subjects": [AN]}
        r = api.client.post("/api/v1/subscriptions", headers=api.headers(), json=wanted)
        assert r.status_code == 201, r.text
        with Session(api.ctx.engine) as s, s.begin():
            s.add(ChangeEventRow(seq=1, entity="person", entity_id=AN, version=2, kind="updated",
                                 attributes='["sex"]', previous="{}", sources='["population"]',
                                 run_id="r1", created_at=datetime(2026, 2, 1)))  # fmt: skip
        deadline = time.monotonic() + 15
        while not received and time.monotonic() < deadline:
            time.sleep(0.1)
    finally:
        server.shutdown()
    assert [(n["subject"], n["attributes"]) for n in received] == [(AN, ["sex"])]
    notify = [e for e in api.ledger_events() if e["action"] == "exchange:person:notify"]
    assert [(e["subject"], e["fields"]) for e in notify] == [
        (api.ctx.subject_ref(AN), ["person.sex"])]  # fmt: skip


def test_expired_token_ids_are_forgotten_by_the_group_commit(api: Api) -> None:
    from sqlalchemy import select
    from sqlalchemy.orm import Session

    from ndc.exchange.models import UsedTokenId

    with Session(api.ctx.engine) as s, s.begin():
        s.add(UsedTokenId(client_id="BHXH/claims", jti="long-gone", expires_at=1))
    api.ctx.committer._pruned = 0.0  # as if the last pruning was long ago
    assert api.client.get(f"/api/v1/persons/{AN}", headers=api.headers()).status_code == 200
    with Session(api.ctx.engine) as s:
        jtis = set(s.scalars(select(UsedTokenId.jti)))
    assert "long-gone" not in jtis
    assert len(jtis) == 1  # the request's own token id, kept until it expires
