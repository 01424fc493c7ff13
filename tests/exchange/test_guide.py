"""docs/api-guide.md stays honest: its code runs against the real app, its paths and problem
types are the API's, and its registration commands work as written."""

from __future__ import annotations

import base64
import json
import re
import shlex
import shutil
import subprocess
import sys
from collections.abc import Iterator
from dataclasses import dataclass
from datetime import UTC, datetime, timedelta
from pathlib import Path
from typing import Any

import httpx
import pytest
from fastapi import FastAPI
from fastapi.testclient import TestClient
from sqlalchemy.orm import Session
from typer.testing import CliRunner

from ndc.exchange import TokenVerifier
from ndc.exchange.api import ExchangeContext
from ndc.exchange.demo import DemoExchange, setup_demo_exchange
from ndc.golden.models import GoldenRecordRow
from ndc.settings import Settings, get_settings
from ndc.web import create_app

ROOT = Path(__file__).resolve().parents[2]
GUIDE = ROOT / "docs" / "api-guide.md"
AN = "001090000001"
VALUES = {
    "full_name": "Nguyễn Văn An",
    "date_of_birth": "1990-03-15",
    "sex": "1",
    "phone": "0912345678",
    "ethnicity": "01",
    "permanent_residence_commune_code": "00004",
}


def section(number: int) -> str:
    text = GUIDE.read_text(encoding="utf-8")
    part = text.split(f"\n## {number}. ", 1)[1]
    return part.split("\n## ", 1)[0]


def blocks(text: str, lang: str) -> list[str]:
    return re.findall(rf"```{lang}\n(.*?)```", text, re.S)


@dataclass
class Guide:
    app: FastAPI
    ctx: ExchangeContext
    demo: DemoExchange
    settings: Settings
    cwd: Path

    def headers(self, client_id: str, purpose: str, user: str) -> dict[str, str]:
        return {
            "Authorization": f"Bearer {self.demo.token(client_id)}",
            "X-NDC-Purpose": purpose,
            "X-NDC-User-Id": user,
        }


@pytest.fixture
def guide(tmp_path: Path, monkeypatch: pytest.MonkeyPatch) -> Guide:
    """The demo agencies on a fresh store with one published person, and the BHXH/claims key
    saved as ``claims.key`` in the working directory, as the guide has it."""
    settings = Settings(data_dir=tmp_path / "ndc-data", demo=True)
    demo = setup_demo_exchange(settings)
    app = create_app(settings)
    ctx: ExchangeContext = app.state.exchange
    now = datetime(2026, 1, 5, 8)
    prov = {"record": ["population", f"pop-{AN}", "2026-01-01T08:00:00"]}
    with Session(ctx.engine) as s, s.begin():
        s.add(
            GoldenRecordRow(
                entity="person",
                entity_id=AN,
                version=3,
                run_id="golden-test",
                values=json.dumps(VALUES, ensure_ascii=False),
                provenance=json.dumps(prov),
                created_at=now,
                updated_at=now,
            )
        )
    cwd = tmp_path / "agency"
    cwd.mkdir()
    shutil.copy(demo.client("BHXH/claims").key_path, cwd / "claims.key")
    monkeypatch.chdir(cwd)
    return Guide(app, ctx, demo, settings, cwd)


def _shape(value: Any) -> Any:
    """Keys of nested objects (values ignored): the shape a client programs against."""
    if isinstance(value, dict):
        return {k: _shape(v) for k, v in value.items()}
    return type(value).__name__ if value is not None else None


def test_first_call_example_reads_a_minimised_person(
    guide: Guide, monkeypatch: pytest.MonkeyPatch, capsys: pytest.CaptureFixture[str]
) -> None:
    code = blocks(section(4), "python")[0]
    kid = guide.demo.client("BHXH/claims").kid
    assert "<your kid>" in code
    # The example's own httpx.Client, pointed at the in-process app instead of a server.
    real_client = httpx.Client

    def client(*args: Any, **kwargs: Any) -> httpx.Client:
        if kwargs.get("base_url") == "http://127.0.0.1:8000":
            return TestClient(guide.app, kwargs["base_url"])
        return real_client(*args, **kwargs)

    monkeypatch.setattr(httpx, "Client", client)
    namespace: dict[str, Any] = {}
    exec(compile(code.replace("<your kid>", kid), str(GUIDE), "exec"), namespace)
    person = namespace["person"]
    assert person["id"] == AN and person["fields"]["full_name"]["value"] == "Nguyễn Văn An"
    assert "phone" not in person["fields"] and "ethnicity" not in person["fields"]
    assert "Luật Bảo hiểm xã hội 2024" in person["access"]["legal_basis"]
    assert "full_name: Nguyễn Văn An (population, 2026-01-01T08:00:00)" in capsys.readouterr().out
    documented = json.loads(blocks(section(4), "json")[0])
    assert sorted(person) == sorted(documented)
    assert _shape(person["access"]) == _shape(documented["access"]) | {"legal_basis": "str"}
    for name, attribute in documented["fields"].items():
        assert _shape(person["fields"][name]) == _shape(attribute), name
        assert person["fields"][name]["value"] == attribute["value"]


def test_curl_token_one_liners_make_accepted_tokens(guide: Guide) -> None:
    liners = re.findall(r"python3 -c '(.*?)' \"\$KID\"", section(5))
    assert len(liners) == 2
    kid = guide.demo.client("BHXH/claims").kid
    verifier = TokenVerifier(guide.ctx.engine)
    for code in liners:
        out = subprocess.run(
            [sys.executable, "-c", code, kid],
            capture_output=True,
            text=True,
            cwd=guide.cwd,
            check=True,
            timeout=60,
        )
        verified = verifier.verify(out.stdout.strip())
        assert (verified.client_id, verified.kid) == ("BHXH/claims", kid)


def test_access_history_proofs_verify_with_the_guides_code(guide: Guide) -> None:
    with TestClient(guide.app) as http:
        r = http.get(
            f"/api/v1/persons/{AN}",
            headers=guide.headers("BHXH/claims", "social-insurance", "can.bo.01"),
        )
        assert r.status_code == 200
        guide.ctx.ledger.integrate()
        r = http.get(
            f"/api/v1/citizens/{AN}/access-history",
            headers=guide.headers("VPCP/portal", "citizen-self-service", AN),
        )
        assert r.status_code == 200, r.text
        history, vkey = r.json(), http.get("/log/vkey").text
    namespace: dict[str, Any] = {}
    exec(compile(blocks(section(10), "python")[0], str(GUIDE), "exec"), namespace)
    verify_access = namespace["verify_access"]
    entries, checkpoint = history["entries"], history["checkpoint"]
    assert entries and all(verify_access(e, checkpoint, vkey) for e in entries)
    entry = entries[0]
    altered = json.loads(base64.b64decode(entry["entry_b64"]))
    altered["purpose"] = "statistics"  # a history that says something else than the log
    forged = {**entry, "entry_b64": base64.b64encode(json.dumps(altered).encode()).decode()}
    assert not verify_access(forged, checkpoint, vkey)
    lines = checkpoint.split("\n")
    lines[1] = str(int(lines[1]) + 1)  # a checkpoint the log did not sign
    assert not verify_access(entry, "\n".join(lines), vkey)
    other = "demo.ndc.gov.vn/ledger+00000000+" + base64.b64encode(bytes(33)).decode()
    assert not verify_access(entry, checkpoint, other)


_ENDPOINT = re.compile(r"\b(GET|POST|PUT|PATCH|DELETE)\s+`?(/(?:api/v1|log)/[^\s`\"'),]*)")
_CURL = re.compile(r"^curl (?:[^\n]*\\\n)*[^\n]*", re.M)


def _documented_calls(text: str) -> set[tuple[str, str]]:
    calls = {(m.group(1), m.group(2)) for m in _ENDPOINT.finditer(text)}
    for cmd in _CURL.findall(text):
        url = re.search(r"\"\$NDC(/[^\"]*)\"", cmd)
        if url is None:
            continue
        method = re.search(r"-X (\w+)", cmd)
        verb = method.group(1) if method else ("POST" if " -d " in cmd else "GET")
        calls.add((verb, url.group(1)))
    return calls


def _template(path: str, routes: dict[str, set[str]], verb: str) -> str | None:
    path = path.split("?", 1)[0].rstrip(".")
    for template, methods in routes.items():
        pattern = re.sub(r"\\\{[^}]+\\\}", "[^/]+", re.escape(template))
        if verb in methods and re.fullmatch(pattern, path):
            return template
    return None


def test_every_documented_call_is_a_route_of_the_app(guide: Guide) -> None:
    paths = guide.app.openapi()["paths"]
    routes = {p: {m.upper() for m in ops} for p, ops in paths.items()}
    calls = _documented_calls(GUIDE.read_text(encoding="utf-8"))
    assert len(calls) > 25
    missing = sorted(f"{v} {p}" for v, p in calls if _template(p, routes, v) is None)
    assert missing == []


def _code_problem_types() -> set[str]:
    """Every problem type the exchange, the app and the log can answer with."""
    found: set[str] = set()
    for path in [
        *(ROOT / "src/ndc/exchange").rglob("*.py"),
        ROOT / "src/ndc/problems.py",
        ROOT / "src/ndc/ledger/api.py",
    ]:
        text = path.read_text(encoding="utf-8")
        found |= set(re.findall(r'problem_type = "([a-z/-]+)"', text))
        found |= set(re.findall(r'(?:ProblemError|problem_response)\(\s*\d+,\s*"([a-z/-]+)"', text))
        found |= set(re.findall(r'NotEntitled\([^()]*?"([a-z-]+)"\)', text, re.S))
        found |= set(re.findall(r'NotEntitled\(\s*"([a-z-]+)",', text))
        found |= set(re.findall(r'^\s+\d{3}: \("([a-z-]+)",', text, re.M))  # HTTP statuses
        found |= set(re.findall(r'^\s+"([a-z]+-[a-z-]+)": "[A-Z]', text, re.M))  # denial titles
    from ndc.exchange.policy import Reason

    found |= {r.value for r in Reason if r is not Reason.PERMITTED}
    found |= {"validation-error", "internal-error", "http-error"}
    found.discard("demo-mode-required")  # raised by the demo setup, not by an endpoint
    return found


def test_every_problem_type_is_in_the_errors_table() -> None:
    table = section(9) + section(10)
    documented = set(re.findall(r"`([a-z][a-z/-]*)`", table))
    in_code = _code_problem_types()
    assert len(in_code) > 50
    assert sorted(in_code - documented) == []


def test_curl_bodies_are_json() -> None:
    for cmd in _CURL.findall(GUIDE.read_text(encoding="utf-8")):
        body = re.search(r"-d '([^']*)'", cmd)
        if body is not None:
            json.loads(body.group(1))


@pytest.fixture
def cli_env(tmp_path: Path, monkeypatch: pytest.MonkeyPatch) -> Iterator[Path]:
    monkeypatch.setenv("NDC_DATA_DIR", str(tmp_path / "cli-data"))
    get_settings.cache_clear()
    yield tmp_path
    get_settings.cache_clear()


def test_registration_commands_run_as_written(cli_env: Path) -> None:
    from ndc.cli import app

    text = blocks(section(2), "bash")[0].replace("\\\n", " ")
    commands = [shlex.split(line, comments=True) for line in text.splitlines() if line.strip()]
    assert [c[:3] for c in commands][:3] == [
        ["ndc", "members", "add"],
        ["ndc", "members", "client"],
        ["ndc", "catalogue", "grant"],
    ]
    runner = CliRunner()
    for args in commands:
        result = runner.invoke(app, args[1:])
        assert result.exit_code == 0, (args, result.output)
    assert "BHXH/claims" in result.output  # the last command lists the granted rule


def _curl_args(cmd: str) -> tuple[str, str, dict[str, str], str | None]:
    args = shlex.split(cmd.replace("\\\n", " "), comments=True)[1:]
    method, url, headers, body = "GET", "", {}, None
    it = iter(args)
    for a in it:
        if a == "-X":
            method = next(it)
        elif a == "-H":
            name, _, value = next(it).partition(": ")
            headers[name] = value
        elif a == "-d":
            body, method = next(it), "POST" if method == "GET" else method
        elif not a.startswith("-"):
            url = a
    return method, url, headers, body


def test_admin_api_registration_runs_as_written(tmp_path: Path) -> None:
    settings = Settings(data_dir=tmp_path / "ndc-data", demo=True)
    app = create_app(settings)
    admin = app.state.exchange._admin
    commands = _CURL.findall(blocks(section(2), "bash")[1])
    assert len(commands) == 6
    with TestClient(app) as http:
        for cmd in commands:
            method, url, headers, body = _curl_args(cmd.replace("$ADMIN", admin))
            r = http.request(
                method,
                url.replace("$NDC", ""),
                headers=headers,
                content=body.encode() if body else None,
            )
            assert r.status_code in (200, 201), (cmd, r.text)
    assert r.json()[0]["legal_basis"].startswith("Luật Bảo hiểm xã hội 2024")


SIGNER = {
    "social-insurance": "BHXH/claims",
    "administrative-procedure": "HN/one-stop",
    "credit-assessment": "VCB/ekyc",
    "citizen-self-service": "VPCP/portal",
}


def test_data_calls_answer_as_documented(guide: Guide) -> None:
    """Every curl of sections 5-10, in order, each signed by the demo client of its purpose."""
    now = datetime(2026, 1, 5, 8)
    with Session(guide.ctx.engine) as s, s.begin():
        s.add(
            GoldenRecordRow(
                entity="enterprise",
                entity_id="0100109106",
                version=1,
                values=json.dumps({"name": "Công ty TNHH Sao Mai", "status": "active"}),
                provenance=json.dumps(
                    {"record": ["business_registration", "b1", "2026-01-02T08:00:00"]}
                ),
                run_id="golden-test",
                created_at=now,
                updated_at=now,
            )
        )
    later = (datetime.now(UTC) + timedelta(days=30)).isoformat()
    consent_id = ""
    seen = 0
    with TestClient(guide.app) as http:
        for number in range(5, 11):
            for cmd in _CURL.findall(section(number)):
                method, url, headers, body = _curl_args(cmd)
                if "Authorization" in headers:
                    signer = SIGNER[headers["X-NDC-Purpose"]]
                    headers["Authorization"] = f"Bearer {guide.demo.token(signer)}"
                if "X-API-Key" in headers:
                    headers["X-API-Key"] = guide.demo.client("BHXH/claims").api_key
                if body is not None and '"valid_until"' in body:  # the example's date may be past
                    body = re.sub(r'"valid_until": "[^"]+"', f'"valid_until": "{later}"', body)
                url = url.replace("$NDC", "").replace("<consent id>", consent_id)
                guide.ctx.ledger.integrate()  # the sequencer's job, within a second
                r = http.request(
                    method, url, headers=headers, content=body.encode() if body else None
                )
                assert r.status_code in (200, 201), (cmd, r.text)
                if method == "POST" and url == "/api/v1/consents":
                    consent_id = r.json()["id"]
                seen += 1
    assert seen >= 12 and consent_id
