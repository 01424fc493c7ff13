"""Signed notes, checkpoints and cosignatures against the C2SP specs and Go's reference vector."""

from __future__ import annotations

import base64
import hashlib
import struct

import pytest

from ndc.ledger.note import (
    ALG_COSIGNATURE_V1,
    Checkpoint,
    NoteError,
    Signer,
    Verifier,
    check_signatures,
    cosignature_message,
    open_checkpoint,
    parse_note,
    sign_checkpoint,
)

# golang.org/x/mod/sumdb/note's documented example: Ed25519 is deterministic, so an
# interoperable implementation must reproduce the signature byte for byte.
GO_SKEY = "PRIVATE+KEY+PeterNeumann+c74f20a3+AYEKFALVFGyNhPJEMzD1QIDr+Y7hfZx09iUvxdXHKDFz"
GO_VKEY = "PeterNeumann+c74f20a3+ARpc2QcUPDhMQegwxbzhKqiBfsVkmqq/LDE4izWy10TW"
GO_TEXT = (
    "If you think cryptography is the answer to your problem,\n"
    "then you don't know what your problem is.\n"
)
GO_SIG = (
    "— PeterNeumann "
    "x08go/ZJkuBS9UG/SffcvIAQxVBtiFupLLr8pAcElZInNIuGUgYN1FFYC2pZSNXgKvqfqdngotpRZb6KE6RyyBwJnAM=\n"
)


def test_signer_reproduces_the_go_reference_note_exactly() -> None:
    signer = Signer.parse(GO_SKEY)
    assert signer.skey == GO_SKEY
    assert signer.verifier.vkey == GO_VKEY
    assert signer.sign_line(GO_TEXT) == GO_SIG
    note = parse_note(GO_TEXT + "\n" + GO_SIG)
    [check] = check_signatures(note, [Verifier.parse(GO_VKEY)])
    assert check.valid and check.kind == "log" and check.key_id == "c74f20a3"


def test_key_id_is_the_signed_note_definition() -> None:
    v = Verifier.parse(GO_VKEY)
    expected = hashlib.sha256(b"PeterNeumann\n\x01" + v.public_key).digest()[:4]
    assert v.key_id == expected


@pytest.mark.parametrize(
    "vkey",
    [
        "PeterNeumann+c74f20a4+ARpc2QcUPDhMQegwxbzhKqiBfsVkmqq/LDE4izWy10TW",  # wrong id
        "Peter Neumann+c74f20a3+ARpc2QcUPDhMQegwxbzhKqiBfsVkmqq/LDE4izWy10TW",  # space
        "PeterNeumann+c74f20a3+ZRpc2QcUPDhMQegwxbzhKqiBfsVkmqq/LDE4izWy10TW",  # algorithm
        "PeterNeumann+c74f20a3",
    ],
)
def test_malformed_verifier_keys_are_refused(vkey: str) -> None:
    with pytest.raises(NoteError):
        Verifier.parse(vkey)


def test_checkpoint_body_is_origin_size_base64_root() -> None:
    cp = Checkpoint("example.com/log", 20852163, b"\x01" * 32)
    root_b64 = base64.b64encode(b"\x01" * 32).decode()
    assert cp.body() == f"example.com/log\n20852163\n{root_b64}\n"
    assert Checkpoint.parse(cp.body()) == cp
    for bad in ["a\n01\n" + base64.b64encode(b"\0" * 32).decode() + "\n", "a\n1\nAAAA\n", "a\n1\n"]:
        with pytest.raises(NoteError):
            Checkpoint.parse(bad)


def test_checkpoint_signature_verifies_and_tampering_is_refused() -> None:
    log = Signer("ndc.test/log", b"\x07" * 32)
    note = sign_checkpoint(Checkpoint("ndc.test/log", 10, b"\x02" * 32), log)
    cp, checks = open_checkpoint(note, log.verifier)
    assert cp.size == 10 and checks[0].valid
    forged = note.replace("\n10\n", "\n11\n")
    with pytest.raises(NoteError):
        open_checkpoint(forged, log.verifier)
    other = Signer("ndc.test/log", b"\x08" * 32)
    with pytest.raises(NoteError, match="no valid signature"):
        open_checkpoint(
            sign_checkpoint(Checkpoint("ndc.test/log", 10, b"\x02" * 32), other), log.verifier
        )


def test_cosignature_v1_format_and_verification() -> None:
    log = Signer("ndc.test/log", b"\x07" * 32)
    witness = Signer("witness.bca.gov.vn/w1", b"\x09" * 32, ALG_COSIGNATURE_V1)
    note = sign_checkpoint(Checkpoint("ndc.test/log", 5, b"\x03" * 32), log)
    text = parse_note(note).text
    line = witness.cosign_line(text, timestamp=1679315147)
    blob = base64.b64decode(line.split(" ")[2])
    # key id (type 0x04) || big-endian u64 timestamp || Ed25519 signature over the v1 message
    assert (
        blob[:4]
        == hashlib.sha256(b"witness.bca.gov.vn/w1\n\x04" + witness.verifier.public_key).digest()[:4]
    )
    assert struct.unpack(">Q", blob[4:12])[0] == 1679315147
    assert cosignature_message(text, 1679315147).startswith(
        b"cosignature/v1\ntime 1679315147\nndc.test/log\n5\n"
    )
    _, checks = open_checkpoint(note + line, log.verifier, [witness.verifier])
    assert [c.kind for c in checks] == ["log", "cosignature"] and all(c.valid for c in checks)
    assert checks[1].timestamp == 1679315147
    # A cosignature moved to another checkpoint does not verify.
    other = sign_checkpoint(Checkpoint("ndc.test/log", 6, b"\x03" * 32), log)
    with pytest.raises(NoteError, match="invalid signature"):
        open_checkpoint(other + line, log.verifier, [witness.verifier])
    # Unknown signers are ignored, never trusted.
    _, checks = open_checkpoint(note + line, log.verifier)
    assert checks[1].kind == "unknown" and checks[1].valid is None


@pytest.mark.parametrize(
    "data",
    [
        "no blank line\n— a AAAAAAA=\n",
        "text\n\n— a AAAAAAA=",
        "text\n\nsignature without dash\n",
        "text\n\n— a !!!\n",
        "te\x01xt\n\n— a AAAAAAA=\n",
        "text\n\n",
    ],
)
def test_malformed_notes_are_refused(data: str) -> None:
    with pytest.raises(NoteError):
        parse_note(data)
