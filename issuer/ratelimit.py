"""Rate limits: fixed-window counters, in the database (shared) or in memory (one process).

`hit(bucket, limit)` counts one event and says whether it is within the limit;
`peek` reads without counting (e.g. "is this username locked?"). Buckets are
strings such as `issue:sub:<subject>` or `login:ip:<address>`; values longer
than a few hundred bytes are hashed so a hostile username cannot bloat the table.

The database counter is one statement on both backends:
`INSERT … ON CONFLICT (bucket, window_start) DO UPDATE SET count = count + 1 RETURNING count`.
"""
from __future__ import annotations

import hashlib
import random
import threading
from dataclasses import dataclass

from sqlalchemy import bindparam, delete, select

from .clock import Clock
from .config import Limit
from .storage import Store, rate_counters

MAX_BUCKET_CHARS = 200
PRUNE_PROBABILITY = 0.002
KEEP_SECONDS = 2 * 86400


@dataclass(frozen=True)
class Verdict:
    allowed: bool
    count: int
    limit: int
    retry_after: int  # seconds until the window ends


def bucket_name(scope: str, value: str) -> str:
    name = f"{scope}:{value}"
    if len(name) > MAX_BUCKET_CHARS:
        name = f"{scope}:sha256:{hashlib.sha256(value.encode('utf-8', 'surrogatepass')).hexdigest()}"
    return name


class RateLimiter:
    def __init__(self, clock: Clock):
        self.clock = clock

    def _window(self, limit: Limit) -> tuple[int, int]:
        now = self.clock.now()
        start = now - now % limit.window_seconds
        return start, start + limit.window_seconds - now

    def hit(self, bucket: str, limit: Limit, amount: int = 1) -> Verdict:
        start, remaining = self._window(limit)
        count = self._add(bucket, limit.window_seconds, start, amount)
        return Verdict(count <= limit.limit, count, limit.limit, max(1, remaining))

    def peek(self, bucket: str, limit: Limit) -> Verdict:
        start, remaining = self._window(limit)
        count = self._read(bucket, limit.window_seconds, start)
        return Verdict(count < limit.limit, count, limit.limit, max(1, remaining))

    def _key(self, bucket: str, window_seconds: int) -> str:
        return f"{bucket}/{window_seconds}"

    def _add(self, bucket: str, window_seconds: int, start: int, amount: int) -> int:
        raise NotImplementedError

    def _read(self, bucket: str, window_seconds: int, start: int) -> int:
        raise NotImplementedError


class DatabaseRateLimiter(RateLimiter):
    def __init__(self, store: Store, clock: Clock):
        super().__init__(clock)
        self.store = store
        # Built once: these run on every request.
        insert = store.upsert(rate_counters).values(bucket=bindparam("key"), window_start=bindparam("start"),
                                                    count=bindparam("amount"))
        self._increment = insert.on_conflict_do_update(
            index_elements=[rate_counters.c.bucket, rate_counters.c.window_start],
            set_={"count": rate_counters.c.count + insert.excluded.count},
        ).returning(rate_counters.c.count)
        self._count = select(rate_counters.c.count).where(rate_counters.c.bucket == bindparam("key"),
                                                          rate_counters.c.window_start == bindparam("start"))
        self._prune = delete(rate_counters).where(rate_counters.c.window_start < bindparam("before"))

    def _add(self, bucket: str, window_seconds: int, start: int, amount: int) -> int:
        key = self._key(bucket, window_seconds)
        (count,), = self.store.write_one(self._increment, {"key": key, "start": start, "amount": amount})
        if random.random() < PRUNE_PROBABILITY:
            self.store.write_one(self._prune, {"before": start - KEEP_SECONDS})
        return count

    def clear(self, bucket: str) -> int:
        """Forget every window of `bucket` (e.g. lift a login lockout); returns the rows removed."""
        with self.store.write() as conn:
            return conn.execute(delete(rate_counters).where(
                rate_counters.c.bucket.startswith(self._key(bucket, ""), autoescape=True))).rowcount

    def _read(self, bucket: str, window_seconds: int, start: int) -> int:
        key = self._key(bucket, window_seconds)
        with self.store.read() as conn:
            found = conn.execute(self._count, {"key": key, "start": start}).scalar_one_or_none()
        return found or 0


class MemoryRateLimiter(RateLimiter):
    def __init__(self, clock: Clock):
        super().__init__(clock)
        self._counts: dict[tuple[str, int], int] = {}
        self._lock = threading.Lock()

    def _add(self, bucket: str, window_seconds: int, start: int, amount: int) -> int:
        key = (self._key(bucket, window_seconds), start)
        with self._lock:
            if len(self._counts) > 100_000:
                self._counts = {k: v for k, v in self._counts.items() if k[1] >= start - KEEP_SECONDS}
            self._counts[key] = self._counts.get(key, 0) + amount
            return self._counts[key]

    def _read(self, bucket: str, window_seconds: int, start: int) -> int:
        with self._lock:
            return self._counts.get((self._key(bucket, window_seconds), start), 0)
