"""The API guide's Python example produces a token the platform accepts (keeps the doc honest)."""

from __future__ import annotations

import re
from pathlib import Path

import pytest
from sqlalchemy import Engine
from sqlalchemy.orm import Session

from ndc.exchange import TokenVerifier, issue_key, register_client, register_member

GUIDE = Path(__file__).resolve().parents[2] / "docs" / "api-guide.md"


def test_guide_python_token_is_accepted(
    engine: Engine, tmp_path: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    with Session(engine) as s, s.begin():
        register_member(s, "BHXH", "Bảo hiểm xã hội Việt Nam", "Vietnam Social Security",
                        "public_body")  # fmt: skip
        register_client(s, "BHXH", "claims", "Claims processing")
        issued = issue_key(s, "BHXH/claims")
    (tmp_path / "claims.key").write_text(issued.private_key_pem)
    section = GUIDE.read_text(encoding="utf-8").split("## 4.", 1)[1]
    match = re.search(r"```python\n(.*?)```", section, re.S)
    assert match is not None
    code = match.group(1).replace("<your kid>", issued.key.kid)
    monkeypatch.chdir(tmp_path)
    namespace: dict[str, object] = {}
    exec(compile(code, str(GUIDE), "exec"), namespace)
    token = namespace["token"]
    assert isinstance(token, str)
    verified = TokenVerifier(engine).verify(token)
    assert (verified.client_id, verified.kid) == ("BHXH/claims", issued.key.kid)
