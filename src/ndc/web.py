"""The FastAPI app factory: mounts the domains' routers; no logic here."""

from __future__ import annotations

from fastapi import FastAPI

from ndc import __version__
from ndc.problems import install_problem_handlers
from ndc.settings import Settings, get_settings


def create_app(settings: Settings | None = None) -> FastAPI:
    """Build the NDC web app for ``settings`` (process settings by default)."""
    from ndc.exchange.api import install as install_exchange
    from ndc.ledger.api import build_router as ledger_router

    settings = settings or get_settings()
    app = FastAPI(
        title="NDC — National Data Center",
        version=__version__,
        description="Data exchange, transparency log and public services of the data center.",
    )
    app.state.settings = settings
    install_problem_handlers(app)
    app.include_router(ledger_router(settings))
    install_exchange(app, settings)

    @app.get("/healthz", tags=["ops"])
    def healthz() -> dict[str, str]:
        return {"status": "ok"}

    return app
