"""``ndc serve``: run the web app with Uvicorn."""

from __future__ import annotations

import os

import typer


def serve(
    host: str = typer.Option("127.0.0.1", help="Address to bind."),
    port: int = typer.Option(8000, help="Port to bind."),
    workers: int = typer.Option(1, min=1, help="Worker processes (rate limits are shared out)."),
    access_log: bool = typer.Option(
        False, help="Log every request line (the ledger already records every data access)."
    ),
) -> None:
    """Serve the NDC API (docs at /docs), the exchange under /api/v1 and the transparency log."""
    import uvicorn

    # Workers are separate processes: they read the worker count from the environment.
    os.environ["NDC_SERVE_WORKERS"] = str(workers)
    uvicorn.run(
        "ndc.web:create_app",
        factory=True,
        host=host,
        port=port,
        workers=workers,
        access_log=access_log,
        loop="auto",
        http="auto",
    )
