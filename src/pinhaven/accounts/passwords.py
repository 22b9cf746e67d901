"""Password hashing with argon2id."""

from __future__ import annotations

from argon2 import PasswordHasher
from argon2.exceptions import InvalidHashError, VerificationError

_DEFAULT = PasswordHasher()
# Cheap parameters so tests can create many users; never used unless PINHAVEN_PASSWORD_HASH_FAST is set.
_FAST = PasswordHasher(time_cost=1, memory_cost=1024, parallelism=1)


_use_fast = False


def configure(*, fast: bool) -> None:
    """Select cheap hashing for this process (from `Settings.password_hash_fast`)."""
    global _use_fast
    _use_fast = fast


def hash_password(password: str) -> str:
    return (_FAST if _use_fast else _DEFAULT).hash(password)


_STAND_IN: dict[bool, str] = {}


def stand_in_hash() -> str:
    """A hash of nothing, made once per mode, to verify against when no account matches: a log-in for an
    unknown name or email then costs one verification, as for a known one (hashing anew would cost two)."""
    mode = _use_fast
    if mode not in _STAND_IN:
        _STAND_IN[mode] = hash_password("no such account")
    return _STAND_IN[mode]


def verify_password(stored_hash: str, password: str) -> bool:
    try:
        return _DEFAULT.verify(stored_hash, password)
    except (VerificationError, InvalidHashError):
        return False
