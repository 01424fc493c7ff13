"""``ndc serve``: run the web app with Uvicorn."""

from __future__ import annotations

import typer


def serve(
    host: str = typer.Option("127.0.0.1", help="Address to bind."),
    port: int = typer.Option(8000, help="Port to bind."),
    workers: int = typer.Option(1, help="Worker processes."),
) -> None:
    """Serve the NDC API (docs at /docs) and the transparency log."""
    import uvicorn

    uvicorn.run("ndc.web:create_app", factory=True, host=host, port=port, workers=workers)
