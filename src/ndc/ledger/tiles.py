"""C2SP tlog-tiles geometry: tile paths, the in-memory right edge, subtree hashes from tiles.

A tile at level L, index N holds up to 256 consecutive hashes at tree height 8·L. The sequencer
keeps the partial right-hand tile of every level in memory (:class:`RightEdge`) so integrating
a batch costs O(batch) hashes, and proofs read at most one tile per tile level through
:class:`TileHasher`, i.e. O(log n) reads.

**Acceleration nodes** (private, never served): when a tile becomes full, the sequencer also
stores the 30 internal node hashes of its top four heights (4, 5, 6 and 7 inside the tile; 960
bytes, 3.75% of a tile). A proof step inside a full tile then costs at most 11 hashes (the
nodes below height 4) instead of up to 247. Nothing trusts them: the ledger checks every proof
built with them against a root computed from the tiles alone and falls back to the tiles if
they disagree, and ``ndc ledger verify`` recomputes them from the entries.
"""

from __future__ import annotations

import hashlib
import re
import threading
from collections import OrderedDict
from collections.abc import Callable
from typing import Generic, TypeVar

from ndc.ledger.merkle import EMPTY_ROOT, HASH_SIZE, node_hash

TILE_HEIGHT = 8
TILE_WIDTH = 1 << TILE_HEIGHT
FULL_TILE_BYTES = TILE_WIDTH * HASH_SIZE
MAX_LEVEL = 63

#: Heights inside a full tile whose nodes are stored as acceleration data, lowest first.
NODE_HEIGHTS = (4, 5, 6, 7)
#: Offset (in hashes) of each stored height in a tile's acceleration blob.
NODE_OFFSETS = {4: 0, 5: 16, 6: 24, 7: 28}
NODES_BYTES = 30 * HASH_SIZE

_SEGMENT = re.compile(r"^(x\d{3}/)*\d{3}$")
_sha256 = hashlib.sha256


def encode_index(n: int) -> str:
    """Encode a tile index as x-prefixed 3-digit path segments: 1234067 -> x001/x234/067."""
    if n < 0:
        raise ValueError("tile index must be non-negative")
    parts = [f"{n % 1000:03d}"]
    n //= 1000
    while n:
        parts.append(f"x{n % 1000:03d}")
        n //= 1000
    return "/".join(reversed(parts))


def tile_path(level: int | str, index: int, width: int = TILE_WIDTH) -> str:
    """``tile/<L>/<N>[.p/<W>]``; level ``"entries"`` names an entry bundle."""
    suffix = "" if width == TILE_WIDTH else f".p/{width}"
    return f"tile/{level}/{encode_index(index)}{suffix}"


def parse_index_path(path: str) -> tuple[int, int]:
    """Parse ``<N>[.p/<W>]`` into (index, width); raise ValueError if it is not canonical."""
    width = TILE_WIDTH
    if ".p/" in path:
        path, _, w = path.partition(".p/")
        if not w.isdigit() or w.startswith("0") or not 1 <= int(w) < TILE_WIDTH:
            raise ValueError(f"bad partial tile width {w!r}")
        width = int(w)
    if not _SEGMENT.match(path):
        raise ValueError(f"bad tile index path {path!r}")
    index = int(path.replace("x", "").replace("/", ""))
    if encode_index(index) != path:
        raise ValueError(f"tile index path {path!r} is not canonical")
    return index, width


def partial_width(size: int, level: int) -> int:
    """Width of the partial tile at ``level`` for a tree of ``size`` (0 if none)."""
    return (size >> (TILE_HEIGHT * level)) % TILE_WIDTH


def tile_levels(size: int) -> int:
    """How many tile levels hold hashes for a tree of ``size``."""
    levels = 0
    while size >> (TILE_HEIGHT * levels):
        levels += 1
    return levels


def perfect_root_of(data: bytes | bytearray, start: int, count: int) -> bytes:
    """Root of the perfect subtree over ``count`` (a power of two) hashes of ``data`` at ``start``.

    Works on the concatenated hashes: each round hashes ``0x01 || 64 bytes`` slices, so there is
    no per-node list of Python objects.
    """
    cur = bytes(data[start * HASH_SIZE : (start + count) * HASH_SIZE])
    while len(cur) > HASH_SIZE:
        cur = b"".join(
            [_sha256(b"\x01" + cur[j : j + 64]).digest() for j in range(0, len(cur), 64)]
        )
    return cur


def tile_root_and_nodes(tile: bytes) -> tuple[bytes, bytes]:
    """The root of a full tile (its hash in the tile above) and its acceleration nodes."""
    cur, kept = tile, []
    for height in range(1, TILE_HEIGHT + 1):
        cur = b"".join(
            [_sha256(b"\x01" + cur[j : j + 64]).digest() for j in range(0, len(cur), 64)]
        )
        if height in NODE_OFFSETS:
            kept.append(cur)
    return cur, b"".join(kept)


class RightEdge:
    """The partial right-hand tile of every level: all the sequencer needs to extend the tree.

    ``append`` hashes whole tiles at a time on concatenated bytes (no per-leaf stack objects)
    and returns the tiles it changed so the caller can store them; ``root`` folds the perfect
    subtrees of the partial tiles into the RFC 9162 root without touching storage.
    """

    def __init__(self) -> None:
        self.size = 0
        self.partial: list[bytearray] = []
        self.counts: list[int] = []  # hashes ever written at each level (size >> 8·level)

    @classmethod
    def from_partials(cls, size: int, partials: dict[int, bytes]) -> RightEdge:
        """Rebuild from the stored partial tiles of a tree of ``size`` (level -> hashes)."""
        edge = cls()
        edge.size = size
        for level in range(tile_levels(size)):
            width = partial_width(size, level)
            data = bytes(partials.get(level, b""))[: width * HASH_SIZE]
            if len(data) != width * HASH_SIZE:
                raise ValueError(
                    f"partial tile at level {level} has {len(data)} bytes, not {width}"
                )
            edge.partial.append(bytearray(data))
            edge.counts.append(size >> (TILE_HEIGHT * level))
        return edge

    def copy(self) -> RightEdge:
        edge = RightEdge()
        edge.size = self.size
        edge.partial = [bytearray(p) for p in self.partial]
        edge.counts = list(self.counts)
        return edge

    def append(self, leaf_hashes: list[bytes]) -> dict[tuple[int, int], bytes]:
        """Append leaf hashes; return every changed tile as (level, index) -> hashes."""
        return self.append_with_nodes(leaf_hashes)[0]

    def append_with_nodes(
        self, leaf_hashes: list[bytes]
    ) -> tuple[dict[tuple[int, int], bytes], dict[tuple[int, int], bytes]]:
        """Append; return (changed tiles, acceleration nodes of the tiles that became full)."""
        touched: dict[tuple[int, int], bytes] = {}
        nodes: dict[tuple[int, int], bytes] = {}
        new = b"".join(leaf_hashes)
        level = 0
        while new:
            if level == len(self.partial):
                self.partial.append(bytearray())
                self.counts.append(0)
            first = self.counts[level] // TILE_WIDTH
            buf = bytes(self.partial[level]) + new
            self.counts[level] += len(new) // HASH_SIZE
            full = len(buf) // FULL_TILE_BYTES
            up = []
            for t in range(full):
                tile = buf[t * FULL_TILE_BYTES : (t + 1) * FULL_TILE_BYTES]
                root, tile_nodes = tile_root_and_nodes(tile)
                touched[(level, first + t)] = tile
                nodes[(level, first + t)] = tile_nodes
                up.append(root)
            rest = buf[full * FULL_TILE_BYTES :]
            self.partial[level] = bytearray(rest)
            if rest:
                touched[(level, first + full)] = rest
            new = b"".join(up)
            level += 1
        self.size += len(leaf_hashes)
        return touched, nodes

    def root(self) -> bytes:
        """MTH of the whole tree, from the right edge alone."""
        subtrees = []  # perfect subtrees left to right: upper levels first, larger first
        for level in reversed(range(len(self.partial))):
            data, pos = self.partial[level], 0
            width = len(data) // HASH_SIZE
            for height in range(TILE_HEIGHT - 1, -1, -1):
                if width & (1 << height):
                    subtrees.append(perfect_root_of(data, pos, 1 << height))
                    pos += 1 << height
        if not subtrees:
            return EMPTY_ROOT
        acc = subtrees[-1]
        for h in reversed(subtrees[:-1]):
            acc = node_hash(h, acc)
        return acc


#: ``read_tile(level, index)`` returns the stored hashes of that tile (any width), or b"".
TileReader = Callable[[int, int], bytes]
#: ``read_nodes(level, index)`` returns a full tile's acceleration nodes, or b"" if none.
NodeReader = Callable[[int, int], bytes]

K = TypeVar("K")
V = TypeVar("V")


class LRU(Generic[K, V]):
    """A small thread-safe LRU map."""

    def __init__(self, size: int) -> None:
        self._items: OrderedDict[K, V] = OrderedDict()
        self._size = size
        self._lock = threading.Lock()

    def get(self, key: K) -> V | None:
        with self._lock:
            value = self._items.get(key)
            if value is not None:
                self._items.move_to_end(key)
            return value

    def put(self, key: K, value: V) -> None:
        with self._lock:
            self._items[key] = value
            self._items.move_to_end(key)
            if len(self._items) > self._size:
                self._items.popitem(last=False)

    def clear(self) -> None:
        with self._lock:
            self._items.clear()


class TileCache:
    """What proofs share across requests: tiles as read, and nodes computed *from tiles*.

    Both are immutable once complete (the log only appends), so caching them is safe. Nodes
    taken from acceleration data are never put in ``nodes``: a tiles-only hasher must never
    see them.
    """

    def __init__(self, tiles: int = 1024, nodes: int = 65_536) -> None:
        self.tiles: LRU[tuple[int, int], bytes] = LRU(tiles)
        self.accel: LRU[tuple[int, int], bytes] = LRU(tiles)
        self.nodes: LRU[tuple[int, int], bytes] = LRU(nodes)

    def clear(self) -> None:
        self.tiles.clear()
        self.accel.clear()
        self.nodes.clear()


class TileHasher:
    """Subtree hashes MTH(D[start:end]) for ``merkle.inclusion_path`` from stored tiles.

    ``node(height, index)`` reads the one tile holding that node; inside a full tile it takes
    the node from the acceleration data when ``read_nodes`` is given and the height is stored
    there, and otherwise hashes the at most 2^(height mod 8) tile hashes below it (then caches
    the result). Without ``read_nodes`` the result depends on the tiles alone.
    """

    def __init__(
        self,
        read_tile: TileReader,
        cache: TileCache | None = None,
        read_nodes: NodeReader | None = None,
    ) -> None:
        self._read = read_tile
        self._read_nodes = read_nodes
        self._cache = cache if cache is not None else TileCache()

    def _tile(self, level: int, index: int, need: int) -> bytes:
        key = (level, index)
        data = self._cache.tiles.get(key)
        if data is None or len(data) < need * HASH_SIZE:
            data = self._read(level, index)
            if len(data) < need * HASH_SIZE:
                raise LookupError(
                    f"tile {level}/{index} has {len(data) // HASH_SIZE} hashes, {need} needed"
                )
            self._cache.tiles.put(key, data)
        return data

    def _accel(self, level: int, index: int) -> bytes | None:
        assert self._read_nodes is not None
        key = (level, index)
        nodes = self._cache.accel.get(key)
        if nodes is None:
            nodes = self._read_nodes(level, index)
            self._cache.accel.put(key, nodes)
        return nodes if len(nodes) == NODES_BYTES else None

    def node(self, height: int, index: int) -> bytes:
        """Hash of the perfect subtree of ``2**height`` leaves starting at ``index << height``."""
        level, r = divmod(height, TILE_HEIGHT)
        tile, offset = divmod(index << r, TILE_WIDTH)
        if r == 0:
            data = self._tile(level, tile, offset + 1)
            return data[offset * HASH_SIZE : (offset + 1) * HASH_SIZE]
        cached = self._cache.nodes.get((height, index))
        if cached is not None:
            return cached
        data = self._tile(level, tile, offset + (1 << r))
        if self._read_nodes is not None and r in NODE_OFFSETS and len(data) == FULL_TILE_BYTES:
            nodes = self._accel(level, tile)
            if nodes is not None:
                pos = (NODE_OFFSETS[r] + (offset >> r)) * HASH_SIZE
                return nodes[pos : pos + HASH_SIZE]
        value = perfect_root_of(data, offset, 1 << r)
        self._cache.nodes.put((height, index), value)
        return value

    def subtree(self, start: int, end: int) -> bytes:
        """MTH(D[start:end]) by the RFC split, using perfect aligned nodes from tiles."""
        n = end - start
        if n & (n - 1) == 0 and start % n == 0:
            return self.node(n.bit_length() - 1, start // n)
        k = 1 << ((n - 1).bit_length() - 1)
        return node_hash(self.subtree(start, start + k), self.subtree(start + k, end))

    def root(self, size: int) -> bytes:
        return EMPTY_ROOT if size == 0 else self.subtree(0, size)
