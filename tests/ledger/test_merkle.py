"""RFC 9162 hashing and proofs: published RFC 6962 vectors, then properties for any size."""

from __future__ import annotations

import hashlib

import pytest
from hypothesis import given, settings
from hypothesis import strategies as st

from ndc.ledger import merkle

# Leaves, roots and node hashes published with the Certificate Transparency / transparency-dev
# Merkle test suites: an implementation that disagrees cannot interoperate with any RFC 6962 log.
LEAVES = [
    bytes.fromhex(h)
    for h in ["", "00", "10", "2021", "3031", "40414243", "5051525354555657",
              "606162636465666768696a6b6c6d6e6f"]
]  # fmt: skip
ROOTS = [
    "e3b0c44298fc1c149afbf4c8996fb92427ae41e4649b934ca495991b7852b855",
    "6e340b9cffb37a989ca544e6bb780a2c78901d3fb33738768511a30617afa01d",
    "fac54203e7cc696cf0dfcb42c92a1d9dbaf70ad9e621f4bd8d98662f00e3c125",
    "aeb6bcfe274b70a14fb067a5e5578264db0fa9b51af5e0ba159158f329e06e77",
    "d37ee418976dd95753c1c73862b9398fa2a2cf9b4ff0fdfe8b30cd95209614b7",
    "4e3bbb1f7b478dcfe71fb631631519a3bca12c9aefca1612bfce4c13a86264d4",
    "76e67dadbcdf1e10e1b74ddc608abd2f98dfb16fbce75277b5232a127f2087ef",
    "ddb89be403809e325750d3d263cd78929c2942b7942a34b77e122c9594a74c8c",
    "5dc9da79a70659a9ad559cb701ded9a2ab9d823aad2f4960cfe370eff4604328",
]
H = {
    "leaf0": "6e340b9cffb37a989ca544e6bb780a2c78901d3fb33738768511a30617afa01d",
    "leaf1": "96a296d224f285c67bee93c30f8a309157f0daa35dc5b87e410b78630a09cfc7",
    "leaf4": "bc1a0643b12e4d2d7c77918f44e0f4f79a838b6cf9ec5b5c283e1f4d88599e6b",
    "n01": "fac54203e7cc696cf0dfcb42c92a1d9dbaf70ad9e621f4bd8d98662f00e3c125",
    "n23": "5f083f0a1a33ca076a95279832580db3e0ef4584bdff1f54c8a360f50de3031e",
    "n45": "0ebc5d3437fbe2db158b9f126a1d118e308181031d0a949f8dededebc558ef6a",
    "n67": "ca854ea128ed050b41b35ffc1b87b8eb2bde461e9e3b5596ece6b9d5975a0ae0",
    "n0_3": "d37ee418976dd95753c1c73862b9398fa2a2cf9b4ff0fdfe8b30cd95209614b7",
    "n4_7": "6b47aaf29ee3c2af9af889bc1fb9254dabd31177f16232dd6aab035ca39bf6e4",
}
INCLUSION = [  # (index, size, proof)
    (0, 1, []),
    (0, 8, ["leaf1", "n23", "n4_7"]),
    (5, 8, ["leaf4", "n67", "n0_3"]),
    (2, 3, ["n01"]),
    (1, 5, ["leaf0", "n23", "leaf4"]),
]
CONSISTENCY = [  # (size1, size2, proof)
    (1, 1, []),
    (1, 8, ["leaf1", "n23", "n4_7"]),
    (6, 8, ["n45", "n67", "n0_3"]),
    (2, 5, ["n23", "leaf4"]),
    (2, 8, ["n23", "n4_7"]),
]
LEAF_HASHES = [merkle.leaf_hash(e) for e in LEAVES]


def _h(names: list[str]) -> list[bytes]:
    return [bytes.fromhex(H[n]) for n in names]


def test_roots_match_rfc6962_vectors_for_every_size() -> None:
    for n in range(9):
        assert merkle.root(LEAF_HASHES[:n]).hex() == ROOTS[n]


def test_leaf_and_node_hashes_use_the_rfc_prefixes() -> None:
    assert merkle.leaf_hash(b"") == hashlib.sha256(b"\x00").digest()
    a, b = LEAF_HASHES[0], LEAF_HASHES[1]
    assert merkle.node_hash(a, b) == hashlib.sha256(b"\x01" + a + b).digest()


@pytest.mark.parametrize(("index", "size", "names"), INCLUSION)
def test_inclusion_proofs_match_published_vectors(index: int, size: int, names: list[str]) -> None:
    proof = merkle.inclusion_proof(index, LEAF_HASHES[:size])
    assert proof == _h(names)
    root = bytes.fromhex(ROOTS[size])
    assert merkle.verify_inclusion(index, size, LEAF_HASHES[index], proof, root)


@pytest.mark.parametrize(("size1", "size2", "names"), CONSISTENCY)
def test_consistency_proofs_match_published_vectors(
    size1: int, size2: int, names: list[str]
) -> None:
    proof = merkle.consistency_proof(size1, LEAF_HASHES[:size2])
    assert proof == _h(names)
    r1, r2 = bytes.fromhex(ROOTS[size1]), bytes.fromhex(ROOTS[size2])
    assert merkle.verify_consistency(size1, size2, proof, r1, r2)


@pytest.mark.parametrize(
    "bad",
    [
        {"index": 8},
        {"index": -1},
        {"size": 0},
        {"size": 9},
        {"proof": []},
        {"proof": "not a list"},
        {"proof": [b"short"]},
        {"root": b"\x00" * 31},
        {"leaf": None},
        {"index": True},
    ],
)
def test_verify_inclusion_rejects_malformed_input_without_raising(bad: dict[str, object]) -> None:
    args: dict[str, object] = {
        "index": 5, "size": 8, "leaf": LEAF_HASHES[5], "proof": _h(["leaf4", "n67", "n0_3"]),
        "root": bytes.fromhex(ROOTS[8]),
    }  # fmt: skip
    args.update(bad)
    assert (
        merkle.verify_inclusion(
            args["index"],
            args["size"],
            args["leaf"],
            args["proof"],
            args["root"],  # type: ignore[arg-type]
        )
        is False
    )


def test_verify_consistency_edge_cases() -> None:
    r = [bytes.fromhex(x) for x in ROOTS]
    assert merkle.verify_consistency(0, 8, [], r[0], r[8])
    assert not merkle.verify_consistency(0, 8, [r[1]], r[0], r[8])
    assert not merkle.verify_consistency(8, 6, [], r[8], r[6])
    assert not merkle.verify_consistency(3, 8, [], r[3], r[8])
    assert not merkle.verify_consistency(8, 8, [], r[8], r[7])
    assert not merkle.verify_consistency(2, 8, [*_h(["n23", "n4_7"]), r[1]], r[2], r[8])
    assert not merkle.verify_consistency(-1, 8, [], r[0], r[8])


def _leaves(n: int) -> list[bytes]:
    return [merkle.leaf_hash(i.to_bytes(4, "big")) for i in range(n)]


def _flip(data: bytes, bit: int) -> bytes:
    b = bytearray(data)
    b[(bit // 8) % len(b)] ^= 1 << (bit % 8)
    return bytes(b)


@settings(max_examples=150, deadline=None)
@given(st.data())
def test_every_inclusion_proof_verifies_and_any_bit_flip_fails(data: st.DataObject) -> None:
    size = data.draw(st.integers(1, 300))
    index = data.draw(st.integers(0, size - 1))
    leaves = _leaves(size)
    root = merkle.root(leaves)
    proof = merkle.inclusion_proof(index, leaves)
    assert merkle.verify_inclusion(index, size, leaves[index], proof, root)
    bit = data.draw(st.integers(0, 255))
    target = data.draw(st.sampled_from(["leaf", "root", "proof"] if proof else ["leaf", "root"]))
    if target == "leaf":
        assert not merkle.verify_inclusion(index, size, _flip(leaves[index], bit), proof, root)
    elif target == "root":
        assert not merkle.verify_inclusion(index, size, leaves[index], proof, _flip(root, bit))
    else:
        k = data.draw(st.integers(0, len(proof) - 1))
        bad = [*proof[:k], _flip(proof[k], bit), *proof[k + 1 :]]
        assert not merkle.verify_inclusion(index, size, leaves[index], bad, root)
    # The same proof never proves another position or a truncated path.
    if size > 1:
        other = (index + 1) % size
        assert not merkle.verify_inclusion(other, size, leaves[index], proof, root)
        assert not merkle.verify_inclusion(index, size, leaves[index], proof[:-1], root)


@settings(max_examples=150, deadline=None)
@given(st.data())
def test_every_consistency_proof_verifies_and_any_bit_flip_fails(data: st.DataObject) -> None:
    size2 = data.draw(st.integers(1, 300))
    size1 = data.draw(st.integers(1, size2))
    leaves = _leaves(size2)
    r1, r2 = merkle.root(leaves[:size1]), merkle.root(leaves)
    proof = merkle.consistency_proof(size1, leaves)
    assert merkle.verify_consistency(size1, size2, proof, r1, r2)
    bit = data.draw(st.integers(0, 255))
    assert not merkle.verify_consistency(size1, size2, proof, _flip(r1, bit), r2)
    assert not merkle.verify_consistency(size1, size2, proof, r1, _flip(r2, bit))
    if proof:
        k = data.draw(st.integers(0, len(proof) - 1))
        bad = [*proof[:k], _flip(proof[k], bit), *proof[k + 1 :]]
        assert not merkle.verify_consistency(size1, size2, bad, r1, r2)
        assert not merkle.verify_consistency(size1, size2, proof[:-1], r1, r2)
    if size1 < size2:
        assert not merkle.verify_consistency(size1, size2, [*proof, r1], r1, r2)


@settings(max_examples=50, deadline=None)
@given(st.lists(st.binary(max_size=40), max_size=70))
def test_root_is_the_rfc_recursive_definition(entries: list[bytes]) -> None:
    def mth(d: list[bytes]) -> bytes:
        if not d:
            return hashlib.sha256(b"").digest()
        if len(d) == 1:
            return hashlib.sha256(b"\x00" + d[0]).digest()
        k = merkle.split_point(len(d))
        return hashlib.sha256(b"\x01" + mth(d[:k]) + mth(d[k:])).digest()

    assert merkle.root([merkle.leaf_hash(e) for e in entries]) == mth(entries)
