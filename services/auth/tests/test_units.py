"""Pure logic: password policy, secret box, TOTP steps, hasher parameters."""

from __future__ import annotations

import pytest
from argon2 import PasswordHasher

from taskflow.auth.config import Settings
from taskflow.auth.crypto import DecryptionError, SecretBox, token_hash
from taskflow.auth.mfa import totp
from taskflow.auth.passwords.hashing import Hasher
from taskflow.auth.passwords.policy import common_passwords, password_problems


def test_common_list_is_shipped_and_large() -> None:
    words = common_passwords()
    assert len(words) > 10_000
    assert {"password", "123456", "qwerty"} <= words


@pytest.mark.parametrize(
    ("password", "problem"),
    [
        ("short", "at least 12"),
        ("x" * 129, "at most 128"),
        ("PASSWORD1234", "too common"),  # case-insensitive match of a listed entry
        ("aaaaaaaaaaaaa", "repeat"),
    ],
)
def test_policy_refuses(password: str, problem: str) -> None:
    problems = password_problems(password)
    assert any(problem in p for p in problems), problems


def test_policy_refuses_email_and_accepts_a_good_one() -> None:
    assert password_problems("Ada@Example.com", email="ada@example.com")
    assert password_problems("Correct-Horse-Battery-42") == []


def test_secret_box_binds_context_and_key() -> None:
    box = SecretBox(b"k" * 32)
    blob = box.encrypt(b"secret", context="totp:1")
    assert box.decrypt(blob, context="totp:1") == b"secret"
    assert b"secret" not in blob
    with pytest.raises(DecryptionError):
        box.decrypt(blob, context="totp:2")
    with pytest.raises(DecryptionError):
        SecretBox(b"j" * 32).decrypt(blob, context="totp:1")
    assert len(token_hash("x")) == 32


def test_totp_match_step_and_drift() -> None:
    secret = totp.new_secret()
    now = 1_800_000_000.0
    step = totp.current_step(now)
    assert totp.match_step(secret, totp.code_at_step(secret, step), now=now) == step
    assert totp.match_step(secret, totp.code_at_step(secret, step - 1), now=now) == step - 1
    assert totp.match_step(secret, totp.code_at_step(secret, step - 3), now=now) is None
    assert totp.match_step(secret, "abcdef", now=now) is None


def test_recovery_codes_are_distinct_and_normalised() -> None:
    codes = totp.new_recovery_codes()
    assert len(set(codes)) == 10
    assert totp.normalise_recovery_code(codes[0].upper()) == codes[0].replace("-", "")


def test_kek_must_be_32_bytes() -> None:
    with pytest.raises(ValueError, match="32 bytes"):
        Settings(key_encryption_key="c2hvcnQ=")


def test_production_refuses_dev_kek() -> None:
    with pytest.raises(ValueError, match="key_encryption_key"):
        Settings(
            environment="production",
            database_url="postgresql+asyncpg://u:strongpw@h/d",
            amqp_url="amqp://u:strongpw@h/",
            redis_url="redis://:strongpw@h/0",
        )


async def test_production_parameters_need_rehash_of_cheap_hash() -> None:
    """The real path: a hash made with the test parameters is flagged under production ones."""
    production = Hasher(Settings())
    assert production.ph.time_cost == 3
    assert production.ph.memory_cost == 64 * 1024
    cheap = PasswordHasher(time_cost=1, memory_cost=1024, parallelism=1)
    old_hash = cheap.hash("Correct-Horse-Battery-42")
    assert production.needs_rehash(old_hash)
    assert await production.verify(old_hash, "Correct-Horse-Battery-42")
    new_hash = await production.hash("Correct-Horse-Battery-42")
    assert not production.needs_rehash(new_hash)
    assert "m=65536,t=3,p=1" in new_hash


def test_client_ip_trusts_forwarded_for_only_from_trusted_proxies() -> None:
    from taskflow.auth.deps import client_ip

    nets = Settings(trusted_proxies=["10.0.0.0/8", "::1/128"]).proxy_networks()
    # Straight from the internet: the header is the attacker's word, ignored.
    assert client_ip("198.51.100.7", "203.0.113.1", nets) == "198.51.100.7"
    # Through the gateway: the entry it appended; the client's own entries to its left are not.
    assert client_ip("10.1.2.3", "1.2.3.4, 203.0.113.9", nets) == "203.0.113.9"
    # Two proxies in a row: skip the trusted hops.
    assert client_ip("10.1.2.3", "203.0.113.9, 10.9.9.9", nets) == "203.0.113.9"
    # Garbage in the header stops at the last trusted hop.
    assert client_ip("10.1.2.3", "203.0.113.9, nonsense", nets) == "10.1.2.3"
    assert client_ip("::1", "2001:db8::5", nets) == "2001:db8::5"
    assert client_ip("10.1.2.3", None, nets) == "10.1.2.3"
    assert client_ip("10.1.2.3", "203.0.113.9", ()) == "10.1.2.3"


def test_trusted_proxies_must_be_networks() -> None:
    with pytest.raises(ValueError, match="trusted_proxies"):
        Settings(trusted_proxies=["10.0.0.0/8", "gateway"])
