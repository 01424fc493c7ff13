"""C2SP tlog-tiles geometry: tile paths, the in-memory right edge, subtree hashes from tiles.

A tile at level L, index N holds up to 256 consecutive hashes at tree height 8·L. The sequencer
keeps the partial right-hand tile of every level in memory (:class:`RightEdge`) so integrating
a batch costs O(batch) hashes, and proofs read at most a few tiles per tile level through
:class:`TileHasher`, i.e. O(log n) reads.
"""

from __future__ import annotations

import re
import threading
from collections import OrderedDict
from collections.abc import Callable

from ndc.ledger.merkle import EMPTY_ROOT, HASH_SIZE, node_hash, perfect_root

TILE_HEIGHT = 8
TILE_WIDTH = 1 << TILE_HEIGHT
FULL_TILE_BYTES = TILE_WIDTH * HASH_SIZE
MAX_LEVEL = 63

_SEGMENT = re.compile(r"^(x\d{3}/)*\d{3}$")


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


class RightEdge:
    """The partial right-hand tile of every level, with compact stacks for O(1) amortised appends.

    ``append`` returns the tiles it changed so the caller can store them; ``root`` folds the
    perfect subtrees of the right edge into the RFC 9162 root without touching storage.
    """

    def __init__(self) -> None:
        self.size = 0
        self.partial: list[bytearray] = []
        self.stacks: list[list[tuple[int, bytes]]] = []
        self.counts: list[int] = []

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
            edge._ensure(level)
            edge.partial[level] = bytearray(data)
            edge.counts[level] = size >> (TILE_HEIGHT * level)
            stack: list[tuple[int, bytes]] = []
            pos = 0
            for height in range(TILE_HEIGHT - 1, -1, -1):
                if width & (1 << height):
                    chunk = [
                        data[i : i + HASH_SIZE]
                        for i in range(pos, pos + (HASH_SIZE << height), HASH_SIZE)
                    ]
                    stack.append((height, perfect_root(chunk)))
                    pos += HASH_SIZE << height
            edge.stacks[level] = stack
        return edge

    def copy(self) -> RightEdge:
        edge = RightEdge()
        edge.size = self.size
        edge.partial = [bytearray(p) for p in self.partial]
        edge.stacks = [list(s) for s in self.stacks]
        edge.counts = list(self.counts)
        return edge

    def _ensure(self, level: int) -> None:
        while len(self.partial) <= level:
            self.partial.append(bytearray())
            self.stacks.append([])
            self.counts.append(0)

    def _push(self, level: int, h: bytes, touched: dict[tuple[int, int], bytes]) -> None:
        self._ensure(level)
        self.partial[level] += h
        index = self.counts[level] // TILE_WIDTH
        self.counts[level] += 1
        stack = self.stacks[level]
        height = 0
        while stack and stack[-1][0] == height:
            h = node_hash(stack.pop()[1], h)
            height += 1
        stack.append((height, h))
        if height == TILE_HEIGHT:
            stack.pop()
            touched[(level, index)] = bytes(self.partial[level])
            self.partial[level] = bytearray()
            self._push(level + 1, h, touched)
        else:
            touched[(level, index)] = b""  # filled with the final partial bytes below

    def append(self, leaf_hashes: list[bytes]) -> dict[tuple[int, int], bytes]:
        """Append leaf hashes; return every changed tile as (level, index) -> hashes."""
        touched: dict[tuple[int, int], bytes] = {}
        for h in leaf_hashes:
            self._push(0, h, touched)
        self.size += len(leaf_hashes)
        for level, part in enumerate(self.partial):
            key = (level, self.counts[level] // TILE_WIDTH)
            if part and key in touched:
                touched[key] = bytes(part)
        return {k: v for k, v in touched.items() if v}

    def root(self) -> bytes:
        """MTH of the whole tree, from the right edge alone."""
        subtrees = [h for level in reversed(range(len(self.stacks))) for _, h in self.stacks[level]]
        if not subtrees:
            return EMPTY_ROOT
        acc = subtrees[-1]
        for h in reversed(subtrees[:-1]):
            acc = node_hash(h, acc)
        return acc


#: ``read_tile(level, index)`` returns the stored hashes of that tile (any width), or b"".
TileReader = Callable[[int, int], bytes]


class TileCache:
    """A thread-safe LRU of expanded *full* tiles, which are immutable once written."""

    def __init__(self, size: int = 512) -> None:
        self._items: OrderedDict[tuple[int, int], list[list[bytes]]] = OrderedDict()
        self._size = size
        self._lock = threading.Lock()

    def get(self, key: tuple[int, int]) -> list[list[bytes]] | None:
        with self._lock:
            rows = self._items.get(key)
            if rows is not None:
                self._items.move_to_end(key)
            return rows

    def put(self, key: tuple[int, int], rows: list[list[bytes]]) -> None:
        with self._lock:
            self._items[key] = rows
            if len(self._items) > self._size:
                self._items.popitem(last=False)

    def clear(self) -> None:
        with self._lock:
            self._items.clear()


class TileHasher:
    """Subtree hashes MTH(D[start:end]) for ``merkle.inclusion_path`` from stored tiles.

    A tile read is expanded once into every *complete* node it contains; those nodes never
    change (the log only appends), so they are kept in a shared :class:`TileCache`. The top
    tiles, hit by every proof, are then free, and a proof costs one read per lower tile level.
    """

    def __init__(self, read_tile: TileReader, cache: TileCache | None = None) -> None:
        self._read = read_tile
        self._cache = cache if cache is not None else TileCache()

    def _rows(self, level: int, index: int, need: int) -> list[list[bytes]]:
        key = (level, index)
        rows = self._cache.get(key)
        if rows is not None and len(rows[0]) >= need:
            return rows
        data = self._read(level, index)
        width = len(data) // HASH_SIZE
        if width < need:
            raise LookupError(f"tile {level}/{index} has {width} hashes, {need} needed")
        rows = [[data[i : i + HASH_SIZE] for i in range(0, width * HASH_SIZE, HASH_SIZE)]]
        while len(rows[-1]) > 1:
            row = rows[-1]
            rows.append([node_hash(row[i], row[i + 1]) for i in range(0, len(row) - 1, 2)])
        self._cache.put(key, rows)
        return rows

    def node(self, height: int, index: int) -> bytes:
        """Hash of the perfect subtree of ``2**height`` leaves starting at ``index << height``."""
        level, r = divmod(height, TILE_HEIGHT)
        tile, offset = divmod(index << r, TILE_WIDTH)
        rows = self._rows(level, tile, offset + (1 << r))
        return rows[r][offset >> r]

    def subtree(self, start: int, end: int) -> bytes:
        """MTH(D[start:end]) by the RFC split, using perfect aligned nodes from tiles."""
        n = end - start
        if n & (n - 1) == 0 and start % n == 0:
            return self.node(n.bit_length() - 1, start // n)
        k = 1 << ((n - 1).bit_length() - 1)
        return node_hash(self.subtree(start, start + k), self.subtree(start + k, end))

    def root(self, size: int) -> bytes:
        return EMPTY_ROOT if size == 0 else self.subtree(0, size)
