"""The subscriptions guide's stdlib verification accepts what NDC signs, and only that."""

from __future__ import annotations

import re
import time
from collections.abc import Callable
from pathlib import Path

from ndc.exchange.subscriptions import generate_secret
from ndc.exchange.subscriptions.signing import webhook_headers

GUIDE = Path(__file__).resolve().parents[3] / "docs" / "subscriptions.md"


def _guide_verify() -> Callable[[str, dict[str, str], bytes], bool]:
    section = GUIDE.read_text(encoding="utf-8").split("## 3.", 1)[1]
    match = re.search(r"```python\n(.*?)```", section, re.S)
    assert match is not None
    namespace: dict[str, object] = {}
    exec(compile(match.group(1), str(GUIDE), "exec"), namespace)
    verify = namespace["verify"]
    assert callable(verify)
    return verify  # type: ignore[return-value]


def test_guide_verification_matches_the_platform_signature() -> None:
    verify = _guide_verify()
    secret = generate_secret()
    body = b'{"id":"msg_1","type":"golden.person.updated","seq":3}'
    headers = webhook_headers(secret, "msg_1", int(time.time()), body)
    assert verify(secret, headers, body)
    assert not verify(secret, headers, body.replace(b"3", b"4"))
    assert not verify(generate_secret(), headers, body)
    stale = webhook_headers(secret, "msg_1", int(time.time()) - 3600, body)
    assert not verify(secret, stale, body)
