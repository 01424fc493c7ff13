"""Every API error is an RFC 9457 problem document, never a stack trace."""

from fastapi import FastAPI
from fastapi.testclient import TestClient

from ndc.problems import PROBLEM_JSON, ProblemError, install_problem_handlers


def _app() -> FastAPI:
    app = FastAPI()
    install_problem_handlers(app)

    @app.get("/boom")
    def boom() -> None:
        raise RuntimeError("secret internal detail")

    @app.get("/limited")
    def limited() -> None:
        raise ProblemError(429, "rate-limited", "Too many requests", headers={"Retry-After": "3"})

    @app.get("/items/{n}")
    def item(n: int) -> dict[str, int]:
        return {"n": n}

    return app


def test_unknown_route_is_a_problem_document() -> None:
    r = TestClient(_app()).get("/nope")
    assert r.status_code == 404
    assert r.headers["content-type"] == PROBLEM_JSON
    assert r.json()["type"].endswith("/not-found") and r.json()["status"] == 404


def test_validation_error_names_the_field() -> None:
    r = TestClient(_app()).get("/items/abc")
    assert r.status_code == 422
    body = r.json()
    assert body["type"].endswith("/validation-error")
    assert body["errors"][0]["loc"] == ["path", "n"]


def test_unexpected_error_hides_internals() -> None:
    r = TestClient(_app(), raise_server_exceptions=False).get("/boom")
    assert r.status_code == 500
    assert "secret" not in r.text and "Traceback" not in r.text
    assert r.headers["content-type"] == PROBLEM_JSON


def test_problem_error_keeps_status_and_headers() -> None:
    r = TestClient(_app()).get("/limited")
    assert r.status_code == 429 and r.headers["retry-after"] == "3"
