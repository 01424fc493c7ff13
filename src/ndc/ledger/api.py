"""Read side of the log over HTTP: C2SP tlog-tiles resources plus JSON proofs."""

# No `from __future__ import annotations`: FastAPI must see the router-local `LedgerDep`.

import base64
import json
import logging
from collections.abc import AsyncIterator
from contextlib import asynccontextmanager
from typing import Annotated, Any

from fastapi import APIRouter, Depends, FastAPI, Path, Query, Request
from fastapi.responses import Response

from ndc.ledger.exceptions import LedgerError, LedgerIntegrityError, NotFoundError
from ndc.ledger.schemas import (
    ConsistencyProofOut,
    EntryOut,
    InclusionProofOut,
    StatsOut,
)
from ndc.ledger.service import Ledger
from ndc.ledger.tiles import parse_index_path
from ndc.problems import ProblemError
from ndc.settings import Settings

log = logging.getLogger(__name__)
IMMUTABLE = "public, max-age=31536000, immutable"
MAX_INDEX = 2**63 - 1  # the stores' BIGINT: larger indexes are refused (422), not overflowed
OCTETS = "application/octet-stream"


def _b64(h: bytes) -> str:
    return base64.b64encode(h).decode()


def _not_found(exc: LedgerError) -> ProblemError:
    return ProblemError(404, "ledger/not-found", "Not in the log", str(exc))


def _integrity(exc: LedgerIntegrityError) -> ProblemError:
    return ProblemError(500, "ledger/integrity", "The stored log is inconsistent", str(exc))


def _parse(path: str) -> tuple[int, int]:
    try:
        return parse_index_path(path)
    except ValueError as exc:
        raise ProblemError(404, "ledger/bad-tile-path", "Not a tile path", str(exc)) from exc


def build_router(settings: Settings) -> APIRouter:
    """The ``/log`` router; its lifespan runs the sequencer for the life of the app."""
    from ndc.ledger import get_ledger, sequencer_for

    state: dict[str, Ledger] = {}

    def ledger() -> Ledger:
        if "ledger" not in state:
            try:
                state["ledger"] = get_ledger(settings, start=False)
            except LedgerError as exc:
                raise ProblemError(
                    503, "ledger/unavailable", "Ledger not configured", str(exc)
                ) from exc
        return state["ledger"]

    @asynccontextmanager
    async def lifespan(_app: FastAPI) -> AsyncIterator[None]:
        try:
            lg: Ledger | None = get_ledger(settings, start=True)
        except LedgerError as exc:
            # The rest of the API still starts; /log answers 503 and appends raise, loudly.
            log.error("the ledger is not running: %s", exc)
            lg = None
        yield
        seq = sequencer_for(lg) if lg is not None else None
        if seq is not None:
            seq.stop()

    LedgerDep = Annotated[Ledger, Depends(ledger)]
    router = APIRouter(prefix="/log", tags=["ledger"], lifespan=lifespan)

    @router.get("/checkpoint", response_class=Response, summary="Latest signed checkpoint")
    def checkpoint(lg: LedgerDep) -> Response:
        return Response(
            lg.checkpoint().note,
            media_type="text/plain; charset=utf-8",
            headers={"Cache-Control": "no-cache, max-age=1"},
        )

    @router.get("/tile/entries/{path:path}", response_class=Response, summary="Entry bundle")
    def entries(path: str, lg: LedgerDep) -> Response:
        index, width = _parse(path)
        try:
            data = lg.entry_bundle(index, width)
        except NotFoundError as exc:
            raise _not_found(exc) from exc
        return Response(data, media_type=OCTETS, headers={"Cache-Control": IMMUTABLE})

    @router.get("/tile/{level}/{path:path}", response_class=Response, summary="Merkle tree tile")
    def tile(level: str, path: str, lg: LedgerDep) -> Response:
        if not level.isdigit() or (level != "0" and level.startswith("0")) or int(level) > 63:
            raise ProblemError(404, "ledger/bad-tile-path", "Not a tile path", f"level {level!r}")
        index, width = _parse(path)
        try:
            data = lg.tile(int(level), index, width)
        except NotFoundError as exc:
            raise _not_found(exc) from exc
        return Response(data, media_type=OCTETS, headers={"Cache-Control": IMMUTABLE})

    @router.get(
        "/entries/{seq}", response_model=EntryOut, summary="An entry with its inclusion proof"
    )
    def entry(seq: Annotated[int, Path(ge=0, le=MAX_INDEX)], lg: LedgerDep) -> EntryOut:
        try:
            data = lg.entry(seq)
            cp = lg.checkpoint()
            leaf, proof, root = lg.inclusion_proof(seq, cp.size)
        except NotFoundError as exc:
            raise _not_found(exc) from exc
        except LedgerIntegrityError as exc:
            raise _integrity(exc) from exc
        doc: dict[str, Any] = json.loads(data)
        return EntryOut(
            index=seq,
            tree_size=cp.size,
            leaf_hash=_b64(leaf),
            root_hash=_b64(root),
            proof=[_b64(p) for p in proof],
            entry=doc,
            entry_b64=_b64(data),
            checkpoint=cp.note,
        )

    @router.get("/proof/inclusion", response_model=InclusionProofOut, summary="Inclusion proof")
    def inclusion(
        lg: LedgerDep,
        index: Annotated[int, Query(ge=0, le=MAX_INDEX)],
        size: Annotated[
            int | None, Query(ge=1, le=MAX_INDEX, description="Tree size (default: latest)")
        ] = None,
    ) -> InclusionProofOut:
        size = lg.size if size is None else size  # the size the proof is for, fixed up front
        try:
            leaf, proof, root = lg.inclusion_proof(index, size)
        except NotFoundError as exc:
            raise _not_found(exc) from exc
        except LedgerIntegrityError as exc:
            raise _integrity(exc) from exc
        return InclusionProofOut(
            index=index,
            tree_size=size,
            leaf_hash=_b64(leaf),
            root_hash=_b64(root),
            proof=[_b64(p) for p in proof],
        )

    @router.get(
        "/proof/consistency", response_model=ConsistencyProofOut, summary="Consistency proof"
    )
    def consistency(
        lg: LedgerDep,
        first: Annotated[int, Query(ge=0, le=MAX_INDEX)],
        second: Annotated[
            int | None, Query(ge=0, le=MAX_INDEX, description="Default: latest")
        ] = None,
    ) -> ConsistencyProofOut:
        try:
            second = lg.size if second is None else second
            proof, r1, r2 = lg.consistency_proof(first, second)
        except NotFoundError as exc:
            raise _not_found(exc) from exc
        except LedgerIntegrityError as exc:
            raise _integrity(exc) from exc
        return ConsistencyProofOut(
            first=first,
            second=second,
            first_root=_b64(r1),
            second_root=_b64(r2),
            proof=[_b64(p) for p in proof],
        )

    @router.get("/stats", response_model=StatsOut, summary="Size, queue and public key")
    def stats(lg: LedgerDep) -> StatsOut:
        return StatsOut(**lg.stats())

    @router.get("/vkey", response_class=Response, summary="The log's public key (note vkey)")
    def vkey(lg: LedgerDep, request: Request) -> Response:
        return Response(lg.keys.verifier.vkey + "\n", media_type="text/plain; charset=utf-8")

    return router
