"""tlog-tiles geometry and the sequencer's right edge, against the plain Merkle functions."""

from __future__ import annotations

import pytest
from hypothesis import given, settings
from hypothesis import strategies as st

from ndc.ledger import merkle
from ndc.ledger.tiles import (
    NODE_HEIGHTS,
    NODE_OFFSETS,
    NODES_BYTES,
    RightEdge,
    TileHasher,
    encode_index,
    parse_index_path,
    partial_width,
    tile_path,
)


def test_index_encoding_follows_the_spec_example() -> None:
    assert encode_index(1234067) == "x001/x234/067"
    assert encode_index(0) == "000"
    assert encode_index(1000) == "x001/000"
    assert tile_path(0, 1234067) == "tile/0/x001/x234/067"
    assert tile_path(1, 3, 17) == "tile/1/003.p/17"
    assert tile_path("entries", 5, 200) == "tile/entries/005.p/200"


def test_index_paths_parse_only_in_canonical_form() -> None:
    assert parse_index_path("x001/x234/067") == (1234067, 256)
    assert parse_index_path("067.p/12") == (67, 12)
    for bad in ["67", "x001/67", "001/234", "x000/001", "067.p/0", "067.p/256", "067.p/012", "0a7"]:
        with pytest.raises(ValueError):
            parse_index_path(bad)


def test_partial_widths_match_the_spec_example_for_70000() -> None:
    assert [partial_width(70_000, level) for level in range(3)] == [112, 17, 1]
    assert [partial_width(256, level) for level in range(2)] == [0, 1]


def _leaves(n: int) -> list[bytes]:
    return [merkle.leaf_hash(i.to_bytes(4, "big")) for i in range(n)]


@settings(max_examples=40, deadline=None)
@given(st.lists(st.integers(1, 700), min_size=1, max_size=5))
def test_right_edge_tiles_and_roots_agree_with_the_plain_tree(batches: list[int]) -> None:
    leaves = _leaves(sum(batches))
    edge, store, done = RightEdge(), {}, 0
    for n in batches:
        store.update(edge.append(leaves[done : done + n]))
        done += n
        assert edge.size == done
        assert edge.root() == merkle.root(leaves[:done])
    # Stored tiles alone reproduce every root, inclusion and consistency proof.
    hasher = TileHasher(lambda level, idx: store.get((level, idx), b""))
    assert hasher.root(done) == merkle.root(leaves)
    for i in {0, done // 2, done - 1}:
        assert merkle.inclusion_path(i, done, hasher.subtree) == merkle.inclusion_proof(i, leaves)
    for s in {1, done // 3 or 1, done}:
        assert merkle.consistency_path(s, done, hasher.subtree) == merkle.consistency_proof(
            s, leaves
        )
    # Level 0 tiles are the leaf hashes; level 1 holds the roots of full level-0 tiles.
    assert store[(0, 0)][:32] == leaves[0]
    if done >= 256:
        assert store[(1, 0)][:32] == merkle.root(leaves[:256])
    # A restart from the stored partial tiles continues identically.
    partials = {
        lv: store[(lv, done >> (8 * (lv + 1)))] for lv in range(3) if partial_width(done, lv)
    }
    again = RightEdge.from_partials(done, partials)
    assert again.root() == edge.root()
    more = _leaves(done + 300)[done:]
    assert again.append(more) == edge.copy().append(more)


@settings(max_examples=15, deadline=None)
@given(st.lists(st.integers(1, 3000), min_size=1, max_size=3))
def test_acceleration_nodes_give_the_same_proofs_with_fewer_hashes(batches: list[int]) -> None:
    leaves = _leaves(sum(batches))
    edge, store, accel, done = RightEdge(), {}, {}, 0
    for n in batches:
        touched, nodes = edge.append_with_nodes(leaves[done : done + n])
        store.update(touched)
        accel.update(nodes)
        done += n
    # One row per full tile, holding the tile's perfect subtrees at heights 4..7.
    assert set(accel) == {k for k, v in store.items() if len(v) == 256 * 32}
    for (level, idx), blob in accel.items():
        assert len(blob) == NODES_BYTES
        tile = store[(level, idx)]
        hashes = [tile[i : i + 32] for i in range(0, len(tile), 32)]
        for height in NODE_HEIGHTS:
            w = 1 << height
            for j in range(256 // w):
                pos = (NODE_OFFSETS[height] + j) * 32
                assert blob[pos : pos + 32] == merkle.root(hashes[j * w : (j + 1) * w])
    plain = TileHasher(lambda level, idx: store.get((level, idx), b""))
    fast = TileHasher(
        lambda level, idx: store.get((level, idx), b""),
        read_nodes=lambda level, idx: accel.get((level, idx), b""),
    )
    assert fast.root(done) == plain.root(done) == merkle.root(leaves)
    for i in {0, done // 2, done - 1}:
        assert merkle.inclusion_path(i, done, fast.subtree) == merkle.inclusion_proof(i, leaves)
    for s in {1, done // 3 or 1, done - 1 or 1}:
        assert merkle.consistency_path(s, done, fast.subtree) == merkle.consistency_proof(s, leaves)
