"""Registry: members, clients and keys as an admin registers them (SQLite and PostgreSQL)."""

from __future__ import annotations

import pytest
from sqlalchemy import Engine, select
from sqlalchemy.orm import Session

from ndc.exchange import (
    KeyAlgorithm,
    MemberKind,
    RegistryError,
    add_key,
    generate_key_pair,
    list_clients,
    list_keys,
    list_members,
    register_client,
    register_member,
)
from ndc.exchange.exceptions import (
    ClientExists,
    InvalidKey,
    KeyExists,
    MemberExists,
    MemberNotFound,
)
from ndc.exchange.keys import load_public_key, thumbprint
from ndc.exchange.models import ClientKey

from .conftest import Registered


def test_register_and_list(engine: Engine) -> None:
    with Session(engine) as s, s.begin():
        register_member(s, "BCA", "Bộ Công an", "Ministry of Public Security", MemberKind.MINISTRY)
        register_member(s, "HN", "UBND Thành phố Hà Nội", "Hanoi People's Committee", "province")
        register_client(s, "BCA", "c06", "Population register gateway")
        register_client(s, "HN", "dvc", "Provincial public service portal")
    with Session(engine) as s:
        members = list_members(s)
        assert [(m.code, m.kind, m.name_vi) for m in members] == [
            ("BCA", MemberKind.MINISTRY, "Bộ Công an"),
            ("HN", MemberKind.PROVINCE, "UBND Thành phố Hà Nội"),
        ]
        assert [c.id for c in list_clients(s)] == ["BCA/c06", "HN/dvc"]
        assert [c.id for c in list_clients(s, "HN")] == ["HN/dvc"]


def test_registration_conflicts_and_bad_input(registered: Registered) -> None:
    with Session(registered.engine) as s:
        with pytest.raises(MemberExists):
            register_member(s, "BHXH", "x", "x", "public_body")
        with pytest.raises(ClientExists):
            register_client(s, "BHXH", "claims", "again")
        with pytest.raises(MemberNotFound):
            register_client(s, "NOPE", "x", "x")
        with pytest.raises(RegistryError, match="kind"):
            register_member(s, "X1", "x", "x", "church")
        with pytest.raises(RegistryError, match="code"):
            register_member(s, "bad code!", "x", "x", "ministry")


def test_add_own_public_key_and_checks(registered: Registered) -> None:
    private_pem, public_pem = generate_key_pair(KeyAlgorithm.ES256)
    with Session(registered.engine) as s, s.begin():
        key = add_key(s, registered.client_id, public_pem)
        assert key.algorithm is KeyAlgorithm.ES256
        # The kid is the RFC 7638 thumbprint: a client can compute it itself.
        assert key.kid == thumbprint(load_public_key(public_pem)[0])
        with pytest.raises(KeyExists):
            add_key(s, registered.client_id, public_pem)
        with pytest.raises(InvalidKey, match="private"):
            add_key(s, registered.client_id, private_pem)
        with pytest.raises(InvalidKey, match="not EdDSA"):
            add_key(s, registered.client_id, generate_key_pair(KeyAlgorithm.ES256)[1], "EdDSA")
        with pytest.raises(InvalidKey):
            add_key(s, registered.client_id, "-----BEGIN PUBLIC KEY-----\nAAAA\n")
    with Session(registered.engine) as s:
        assert len(list_keys(s, registered.client_id)) == 2


def test_rfc7638_thumbprint_of_known_key() -> None:
    # RFC 8037 appendix A.3: thumbprint of the Ed25519 example key.
    from cryptography.hazmat.primitives.asymmetric.ed25519 import Ed25519PublicKey

    raw = bytes.fromhex("d75a980182b10ab7d54bfed3c964073a0ee172f3daa62325af021a68f707511a")
    key = Ed25519PublicKey.from_public_bytes(raw)
    assert thumbprint(key) == "kPrK_qmxVWaYVA9wwBF6Iuo3vVzz7TxHCTwXBygrS4k"


def test_private_key_is_never_stored(registered: Registered) -> None:
    secret_line = registered.key.private_key_pem.splitlines()[1]
    with Session(registered.engine) as s:
        stored = s.scalars(select(ClientKey.public_key_pem)).all()
    assert stored and all(secret_line not in pem and "PRIVATE" not in pem for pem in stored)
    assert "private_key_pem" not in repr(registered.key)
