"""Password hashing (Argon2id, product.md §9); the rule a new password must meet is domain/password_policy.py.

Plain functions with no database: the services keep the hash and count failed attempts. A password
is never logged, printed or put in an exception message.
"""

from __future__ import annotations

from argon2 import PasswordHasher, Type
from argon2.exceptions import InvalidHashError, VerificationError

# argon2-cffi's defaults are RFC 9106's low-memory profile (t=3, 64 MiB, p=4); Argon2id is named
# explicitly so that a change of library default cannot silently change the algorithm.
_HASHER = PasswordHasher(type=Type.ID)


def hash_password(password: str) -> str:
    """An Argon2id hash in PHC string form (``$argon2id$v=19$m=…,t=…,p=…$salt$hash``), freshly salted."""
    return _HASHER.hash(password)


def hash_password_with_salt(password: str, salt: bytes) -> str:
    """An Argon2id hash with a given salt, same parameters as ``hash_password``. Only for reproducible demo
    clinics (the same seed gives the same file); real passwords always get a fresh random salt."""
    from argon2.low_level import hash_secret

    if len(salt) < 16:
        raise ValueError("an Argon2 salt of at least 16 bytes")
    return hash_secret(password.encode(), salt, time_cost=_HASHER.time_cost, memory_cost=_HASHER.memory_cost,
                       parallelism=_HASHER.parallelism, hash_len=_HASHER.hash_len, type=Type.ID).decode()


def verify_password(password_hash: str, password: str) -> bool:
    """Whether ``password`` matches ``password_hash``; a malformed or foreign hash is simply False."""
    try:
        return _HASHER.verify(password_hash, password)
    except (VerificationError, InvalidHashError):
        return False


def needs_rehash(password_hash: str) -> bool:
    """True when the hash was made with weaker parameters (or another variant) than today's."""
    try:
        return _HASHER.check_needs_rehash(password_hash)
    except InvalidHashError:
        return True
