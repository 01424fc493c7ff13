"""``ndc serve`` as an operator runs it: two worker processes, docs, the exchange, clean stop."""

from __future__ import annotations

import os
import signal
import socket
import subprocess
import sys
import time
from pathlib import Path

import httpx


def _port() -> int:
    with socket.socket() as s:
        s.bind(("127.0.0.1", 0))
        return int(s.getsockname()[1])


def test_serve_with_two_workers_exposes_docs_and_exchange(tmp_path: Path) -> None:
    port = _port()
    env = {**os.environ, "NDC_DATA_DIR": str(tmp_path / "ndc-data"), "NDC_DEMO": "1"}
    ndc = Path(sys.executable).parent / "ndc"
    proc = subprocess.Popen([str(ndc), "serve", "--port", str(port), "--workers", "2"], env=env,
                            stdout=subprocess.DEVNULL, stderr=subprocess.PIPE)  # fmt: skip
    base = f"http://127.0.0.1:{port}"
    try:
        deadline = time.monotonic() + 60
        while True:
            try:
                if httpx.get(f"{base}/healthz", timeout=1).status_code == 200:
                    break
            except httpx.HTTPError:
                pass
            assert time.monotonic() < deadline, "ndc serve did not come up"
            time.sleep(0.2)
        docs = httpx.get(f"{base}/docs")
        assert docs.status_code == 200 and "swagger" in docs.text.lower()
        paths = httpx.get(f"{base}/openapi.json").json()["paths"]
        wanted = ["/api/v1/persons/{cccd}", "/api/v1/verify", "/api/v1/persons/bulk",
                  "/api/v1/enterprises/{mst}", "/api/v1/persons/{cccd}/land-parcels"]  # fmt: skip
        assert set(wanted) <= set(paths)
        # An anonymous call is refused with a problem document, not served.
        with httpx.Client(base_url=base) as client:
            r = client.get("/api/v1/persons/001090000001")
        assert r.status_code == 401
        assert r.headers["content-type"] == "application/problem+json"
    finally:
        proc.send_signal(signal.SIGTERM)
        assert proc.wait(timeout=20) == 0
