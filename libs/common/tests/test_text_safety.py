"""Pure helpers that keep text safe where it goes: CSV cells, error texts, ids and the clock."""

from __future__ import annotations

from datetime import UTC

import pytest

from taskflow.common.clock import utcnow
from taskflow.common.ids import new_id, uuid7
from taskflow.common.logging import describe_error, mask_credentials
from taskflow.common.spreadsheet import escape_formula


@pytest.mark.parametrize("start", ["=", "+", "-", "@", "\t", "\r"])
def test_every_formula_start_is_escaped(start: str) -> None:
    cell = f'{start}HYPERLINK("http://x")'
    assert escape_formula(cell) == "'" + cell


@pytest.mark.parametrize("text", ["", "plain", "3", " =not first", "'quoted", "a=b"])
def test_other_text_is_left_as_is(text: str) -> None:
    assert escape_formula(text) == text


def test_error_texts_never_carry_url_credentials() -> None:
    exc = ConnectionError("cannot open amqp://svc:s3cr3t@broker.internal:5672/vhost")
    text = describe_error(exc)
    assert "s3cr3t" not in text
    assert text == "ConnectionError: cannot open amqp://***@broker.internal:5672/vhost"


def test_a_password_holding_an_at_sign_is_masked_whole() -> None:
    masked = mask_credentials("postgresql://u:p@ss@db:5432/x and https://tok@host/a@b")
    assert masked == "postgresql://***@db:5432/x and https://***@host/a@b"


def test_an_error_text_is_one_bounded_ascii_line() -> None:
    exc = ValueError("first line é\n[SQL: SELECT secret]\n[parameters: ('hunter2',)]")
    text = describe_error(exc, limit=20)
    assert "\n" not in text
    assert "hunter2" not in describe_error(exc)
    assert text == "ValueError: first li"
    assert describe_error(RuntimeError()) == "RuntimeError"
    assert describe_error(ValueError("é")).isascii()


def test_ids_are_uuid7_and_increase() -> None:
    ids = [new_id() for _ in range(2500)] + [uuid7() for _ in range(2500)]
    assert all(i.version == 7 for i in ids)
    assert ids == sorted(ids, key=lambda u: u.int)
    assert len(set(ids)) == len(ids)


def test_the_clock_is_aware_utc() -> None:
    assert utcnow().tzinfo is UTC


def test_a_public_jwk_verifies_what_its_private_key_signed() -> None:
    from cryptography.hazmat.primitives import serialization
    from cryptography.hazmat.primitives.asymmetric import rsa
    from jose import jwk, jwt

    from taskflow.common.jwk import b64url_uint, rsa_public_jwk

    private = rsa.generate_private_key(public_exponent=65537, key_size=2048)
    public = rsa_public_jwk(private.public_key(), "k1")
    assert (public["e"], public["kid"], public["alg"]) == ("AQAB", "k1", "RS256")
    assert b64url_uint(0) == "AA"
    pem = private.private_bytes(
        serialization.Encoding.PEM, serialization.PrivateFormat.PKCS8, serialization.NoEncryption()
    ).decode()
    token = jwt.encode({"sub": "x"}, pem, algorithm="RS256", headers={"kid": "k1"})
    assert jwt.decode(token, jwk.construct(public), algorithms=["RS256"]) == {"sub": "x"}
