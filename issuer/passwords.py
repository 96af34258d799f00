"""Password hashing with Argon2id (argon2-cffi), with bounded concurrency.

Each hash costs `argon2_memory_kib` of memory and a few tens of milliseconds
of CPU, on purpose. A semaphore caps how many run at once, so a burst of
logins queues instead of exhausting memory. Unknown usernames are checked
against a dummy hash, so the response time does not tell which usernames
exist.
"""
from __future__ import annotations

import threading

from argon2 import PasswordHasher
from argon2.exceptions import InvalidHashError, VerificationError, VerifyMismatchError

from .config import PasswordAuthSection

MAX_PASSWORD_BYTES = 1024


class PasswordPolicyError(ValueError):
    pass


class Passwords:
    def __init__(self, section: PasswordAuthSection):
        self.section = section
        self._hasher = PasswordHasher(time_cost=section.argon2_time_cost, memory_cost=section.argon2_memory_kib,
                                      parallelism=section.argon2_parallelism)
        self._slots = threading.BoundedSemaphore(section.max_concurrent_hashes)
        self._dummy = None
        self._dummy_lock = threading.Lock()

    def check_policy(self, password: str) -> None:
        if len(password) < self.section.min_password_length:
            raise PasswordPolicyError(f"a password has at least {self.section.min_password_length} characters")
        if len(password.encode()) > MAX_PASSWORD_BYTES:
            raise PasswordPolicyError(f"a password has at most {MAX_PASSWORD_BYTES} bytes")

    def hash(self, password: str) -> str:
        with self._slots:
            return self._hasher.hash(password)

    def verify(self, password_hash: str, password: str) -> bool:
        with self._slots:
            try:
                return self._hasher.verify(password_hash, password)
            except (VerifyMismatchError, VerificationError, InvalidHashError):
                return False

    def needs_rehash(self, password_hash: str) -> bool:
        return self._hasher.check_needs_rehash(password_hash)

    def verify_dummy(self, password: str) -> None:
        """Spend the time a real check would, for a username that does not exist."""
        with self._dummy_lock:
            if self._dummy is None:
                self._dummy = self.hash("dummy password that matches nothing")
        self.verify(self._dummy, password)
