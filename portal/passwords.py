"""Password hashing (argon2id) and the password policy: at least ten characters, no
composition rules, and nothing from the lists of commonly used passwords."""

from __future__ import annotations

from argon2 import PasswordHasher
from argon2.exceptions import InvalidHashError, VerificationError
from flask_babel import lazy_gettext as _l
from zxcvbn.matching import RANKED_DICTIONARIES

MIN_LENGTH = 10
MAX_LENGTH = 256

_hasher = PasswordHasher()  # argon2id with the library's current recommended parameters
# A valid hash of a throw-away value, verified against when the account does not exist, so
# that a sign-in for an unknown e-mail takes as long as one for a known e-mail.
_DUMMY_HASH = _hasher.hash("vektor timing equaliser")


class PasswordPolicyError(ValueError):
    """The password breaks the policy; str() is a message for the person choosing it."""


def hash_password(password: str) -> str:
    return _hasher.hash(password)


def verify_password(password_hash: str | None, password: str) -> bool:
    try:
        return _hasher.verify(password_hash or _DUMMY_HASH, password) and bool(password_hash)
    except (VerificationError, InvalidHashError):
        return False


def needs_rehash(password_hash: str) -> bool:
    return _hasher.check_needs_rehash(password_hash)


def _is_common(password: str) -> bool:
    common = RANKED_DICTIONARIES["passwords"]
    lowered = password.lower()
    if lowered in common:
        return True
    # One character repeated, or a common password with digits stuck on the end.
    if len(set(lowered)) <= 2:
        return True
    stripped = lowered.rstrip("0123456789!.")
    return len(stripped) >= 4 and stripped in common and len(stripped) >= len(lowered) - 4


def check_password_policy(password: str, *, email: str | None = None) -> None:
    """Raise PasswordPolicyError when the password is too short, too long, common, or is the
    user's own e-mail address."""
    if len(password) < MIN_LENGTH:
        raise PasswordPolicyError(
            _l("The password must be at least %(n)d characters long.", n=MIN_LENGTH)
        )
    if len(password) > MAX_LENGTH:
        raise PasswordPolicyError(
            _l("The password must be at most %(n)d characters long.", n=MAX_LENGTH)
        )
    if _is_common(password):
        raise PasswordPolicyError(
            _l("This password is among the most commonly used ones; choose another.")
        )
    if email:
        lowered = password.lower()
        local = email.lower().split("@", 1)[0]
        if lowered == email.lower() or (len(local) >= 4 and local in lowered):
            raise PasswordPolicyError(_l("The password must not contain your e-mail address."))
