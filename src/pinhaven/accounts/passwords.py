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


def verify_password(stored_hash: str, password: str) -> bool:
    try:
        return _DEFAULT.verify(stored_hash, password)
    except (VerificationError, InvalidHashError):
        return False
