"""The peer of the exchange load test: a bare FastAPI endpoint of the same shape, no work done.

Served by the same Uvicorn settings as ``ndc serve``; the ratio of the two throughputs is what
authentication, policy, minimisation, the store read and the audit cost.
"""

from __future__ import annotations

from fastapi import FastAPI

app = FastAPI()
BODY = {"dataset": "person", "fields": {"full_name": {"value": "Nguyễn Văn An", "verified": True}}}


@app.get("/api/v1/persons/{cccd}")
async def person(cccd: str) -> dict[str, object]:
    return {"id": cccd, **BODY}
