"""Password hashing with argon2id and the password policy."""

import pytest
from argon2 import PasswordHasher

from portal.passwords import (
    PasswordPolicyError,
    check_password_policy,
    hash_password,
    verify_password,
)


def test_hash_is_argon2id_and_verifies():
    hashed = hash_password("correct horse battery staple")
    assert hashed.startswith("$argon2id$")
    assert verify_password(hashed, "correct horse battery staple")
    assert not verify_password(hashed, "correct horse battery stapl")


def test_same_password_hashes_differently():
    assert hash_password("correct horse battery staple") != hash_password(
        "correct horse battery staple"
    )


def test_production_parameters_are_the_library_defaults():
    from portal import passwords

    # The tests swap in a light hasher for speed; the module's own is argon2-cffi's default.
    default = PasswordHasher()
    assert isinstance(passwords._DUMMY_HASH, str)
    assert passwords._DUMMY_HASH.startswith(f"$argon2id$v=19$m={default.memory_cost}")


def test_unknown_account_and_garbage_hashes_do_not_verify():
    assert not verify_password(None, "anything at all")
    assert not verify_password("not a hash", "anything at all")


@pytest.mark.parametrize(
    "password",
    ["vektor-demo-2026", "correct horse battery staple", "Библиотека на Пионерской 12",
     "lamp river"],
)
def test_acceptable_passwords(password):
    check_password_policy(password)


def test_too_short():
    with pytest.raises(PasswordPolicyError, match="at least 10 characters"):
        check_password_policy("Kj8#mQ2!p")


def test_too_long():
    with pytest.raises(PasswordPolicyError, match="at most"):
        check_password_policy("a b" * 200)


@pytest.mark.parametrize(
    "password",
    ["1234567890", "qwertyuiop", "password123", "Password1234", "iloveyou2026",
     "aaaaaaaaaaaa", "abababababab"],
)
def test_common_passwords_refused(password):
    with pytest.raises(PasswordPolicyError, match="commonly used"):
        check_password_policy(password)


def test_no_composition_rules():
    # Only lower-case letters and spaces: long and uncommon is enough.
    check_password_policy("tea with lemon in the library")


def test_password_containing_the_email_is_refused():
    with pytest.raises(PasswordPolicyError, match="e-mail"):
        check_password_policy("natalia.volkova2026", email="natalia.volkova@lib.example")
