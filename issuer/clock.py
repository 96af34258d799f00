"""The issuer's notion of "now", in whole unix seconds.

Production uses the wall clock. A test network whose chain clock was
fast-forwarded needs the issuer to agree with it (the guard checks `exp` and
`nbf` against the block time), hence an offset: `testing.clock_offset_seconds`
in the configuration, or `advance()` on the clock a test hands to `create_app`.
"""
from __future__ import annotations

import threading
import time


class Clock:
    def __init__(self, offset_seconds: int = 0):
        self._offset = int(offset_seconds)
        self._lock = threading.Lock()

    @property
    def offset(self) -> int:
        return self._offset

    def now(self) -> int:
        return int(time.time()) + self._offset

    def advance(self, seconds: int) -> None:
        with self._lock:
            self._offset += int(seconds)

    def set_offset(self, seconds: int) -> None:
        with self._lock:
            self._offset = int(seconds)
