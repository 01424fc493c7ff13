"""The HTTP read side, as a remote auditor or witness uses it."""

from __future__ import annotations

import base64
import time
from collections.abc import Iterator
from pathlib import Path

import pytest
from fastapi.testclient import TestClient

from ndc.ledger import get_ledger, merkle
from ndc.ledger.note import Checkpoint, open_checkpoint, parse_note
from ndc.ledger.service import Ledger
from ndc.settings import Settings
from ndc.web import create_app

from .conftest import make_event


@pytest.fixture
def client_and_ledger(sqlite_settings: Settings) -> Iterator[tuple[TestClient, Ledger]]:
    with TestClient(create_app(sqlite_settings)) as client:  # runs the lifespan: sequencer on
        lg = get_ledger(sqlite_settings, start=False)
        lg.append_many([make_event(lg, i) for i in range(300)])
        deadline = time.monotonic() + 5
        while lg.size < 300 and time.monotonic() < deadline:
            time.sleep(0.02)
        yield client, lg


@pytest.fixture
def sqlite_settings(tmp_path: Path) -> Settings:
    return Settings(data_dir=tmp_path / "data", demo=True)


def _b(s: str) -> bytes:
    return base64.b64decode(s)


def test_checkpoint_is_a_signed_note_served_as_text(
    client_and_ledger: tuple[TestClient, Ledger],
) -> None:
    client, lg = client_and_ledger
    r = client.get("/log/checkpoint")
    assert r.status_code == 200 and r.headers["content-type"] == "text/plain; charset=utf-8"
    cp, _ = open_checkpoint(r.text, lg.keys.verifier)
    assert cp.size == 300 and cp.origin == lg.origin


def test_an_auditor_verifies_an_entry_from_tiles_and_bundles(
    client_and_ledger: tuple[TestClient, Ledger],
) -> None:
    client, _lg = client_and_ledger
    cp = Checkpoint.parse(parse_note(client.get("/log/checkpoint").text).text)
    bundle = client.get("/log/tile/entries/000").content
    first = bundle[2 : 2 + int.from_bytes(bundle[:2], "big")]
    tile0 = client.get("/log/tile/0/000")
    assert tile0.headers["content-type"] == "application/octet-stream"
    assert "immutable" in tile0.headers["cache-control"]
    assert tile0.content[:32] == merkle.leaf_hash(first)
    partial = client.get("/log/tile/0/001.p/44").content
    top = client.get("/log/tile/1/000.p/1").content
    assert top == merkle.root([tile0.content[i : i + 32] for i in range(0, 8192, 32)])
    leaves = [tile0.content[i : i + 32] for i in range(0, 8192, 32)]
    leaves += [partial[i : i + 32] for i in range(0, len(partial), 32)]
    assert merkle.root(leaves) == cp.root_hash


def test_json_proofs_verify_against_the_checkpoint(
    client_and_ledger: tuple[TestClient, Ledger],
) -> None:
    client, _lg = client_and_ledger
    e = client.get("/log/entries/123").json()
    assert e["entry"]["action"] == "exchange:person:read"
    assert _b(e["leaf_hash"]) == merkle.leaf_hash(_b(e["entry_b64"]))
    cp = Checkpoint.parse(parse_note(e["checkpoint"]).text)
    proof = [_b(p) for p in e["proof"]]
    assert merkle.verify_inclusion(123, cp.size, _b(e["leaf_hash"]), proof, cp.root_hash)
    p = client.get("/log/proof/inclusion", params={"index": 7, "size": 200}).json()
    assert merkle.verify_inclusion(
        7, 200, _b(p["leaf_hash"]), [_b(x) for x in p["proof"]], _b(p["root_hash"])
    )
    c = client.get("/log/proof/consistency", params={"first": 10, "second": 300}).json()
    assert merkle.verify_consistency(
        10, 300, [_b(x) for x in c["proof"]], _b(c["first_root"]), _b(c["second_root"])
    )
    assert _b(c["second_root"]) == cp.root_hash


@pytest.mark.parametrize(
    "path",
    [
        "/log/entries/300",
        "/log/tile/0/001",
        "/log/tile/0/1",
        "/log/tile/00/000",
        "/log/tile/0/000.p/0",
        "/log/tile/entries/002",
        "/log/proof/inclusion?index=300",
        "/log/proof/consistency?first=5&second=301",
    ],
)
def test_unknown_or_malformed_requests_are_problem_documents(
    client_and_ledger: tuple[TestClient, Ledger], path: str
) -> None:
    client, _ = client_and_ledger
    r = client.get(path)
    assert r.status_code == 404
    assert r.headers["content-type"] == "application/problem+json"
    assert r.json()["type"].startswith("https://ndc.gov.vn/problems/ledger/")
