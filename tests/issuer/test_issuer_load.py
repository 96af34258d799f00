"""Bounded load runs on loopback: `issuer serve` issuing tokens to concurrent clients.

- SQLite, one worker (SQLite has one writer at a time; more workers do not help it);
- PostgreSQL, one and two workers, to see issuance scale with workers.

Bounded in time (ISSUER_LOAD_SECONDS per run, 20 s for SQLite and 7 s for each PostgreSQL run by default,
never over 30 s) and in count (ISSUER_LOAD_REQUESTS); only 127.0.0.1. Reports tokens per second and
latency percentiles (printed, not asserted: wall-clock numbers depend on the machine and what else runs
on it); asserts zero errors and that sampled tokens verify with the guard's own core.
"""
from __future__ import annotations

import os
import random
import statistics
import threading
import time
import uuid
from dataclasses import dataclass, field

import httpx

from tests.issuer.issuer_support import GENEROUS_LIMITS, ServedIssuer, guard_verdict, transfer
from tests.issuer.postgres_server import create_database, drop_database

SQLITE_SECONDS = min(30.0, float(os.environ.get("ISSUER_LOAD_SECONDS", "20")))
POSTGRES_SECONDS = min(30.0, float(os.environ.get("ISSUER_LOAD_SECONDS", "7")))
LOAD_REQUESTS = int(os.environ.get("ISSUER_LOAD_REQUESTS", "6000"))
CLIENTS = int(os.environ.get("ISSUER_LOAD_CLIENTS", "8"))


def percentile(values: list[float], fraction: float) -> float:
    ordered = sorted(values)
    return ordered[min(len(ordered) - 1, int(round(fraction * (len(ordered) - 1))))]


@dataclass
class LoadResult:
    wall: float
    latencies: list = field(default_factory=list)
    errors: list = field(default_factory=list)
    samples: list = field(default_factory=list)

    @property
    def rate(self) -> float:
        return len(self.latencies) / self.wall

    def line(self, label: str) -> str:
        ms = [1000 * value for value in self.latencies]
        return (f"  {label}: {len(ms)} tokens in {self.wall:.1f} s = {self.rate:.0f} tokens/s, latency ms "
                f"p50 {statistics.median(ms):.1f}, p90 {percentile(ms, 0.90):.1f}, p99 {percentile(ms, 0.99):.1f}, "
                f"max {max(ms):.1f}, errors {len(self.errors)}")


def load_run(served: ServedIssuer, seconds: float) -> LoadResult:
    token = served.access_token()
    # Distinct transactions (nonces), as real clients send.
    bodies = [{"transaction_hex": transfer(nonce=n).hex()} for n in range(1, 257)]
    result = LoadResult(wall=0.0)
    issued = [0]
    lock = threading.Lock()
    stop_at = time.monotonic() + seconds

    def client(index: int) -> None:
        rng = random.Random(index)
        with httpx.Client(base_url=served.url, headers={"Authorization": f"Bearer {token}"}, timeout=30) as http:
            while time.monotonic() < stop_at:
                with lock:
                    if issued[0] >= LOAD_REQUESTS:
                        return
                    issued[0] += 1
                body = rng.choice(bodies)
                started = time.perf_counter()
                try:
                    response = http.post("/v1/tokens", json=body)
                except httpx.HTTPError as err:
                    with lock:
                        result.errors.append(type(err).__name__)
                    continue
                elapsed = time.perf_counter() - started
                with lock:
                    if response.status_code != 200:
                        result.errors.append(f"{response.status_code} {response.text[:100]}")
                    else:
                        result.latencies.append(elapsed)
                        if len(result.samples) < 20 and rng.random() < 0.05:
                            result.samples.append((response.json()["token"], bytes.fromhex(body["transaction_hex"])))

    started = time.monotonic()
    threads = [threading.Thread(target=client, args=(i,)) for i in range(CLIENTS)]
    for thread in threads:
        thread.start()
    for thread in threads:
        thread.join()
    result.wall = time.monotonic() - started
    jwks = httpx.get(served.url + "/.well-known/jwks.json").json()
    assert not result.errors, f"{len(result.errors)} errors, e.g. {result.errors[:5]}"
    assert result.latencies, "no request completed"
    # Correct under load: sampled tokens verify with the guard's own pure core.
    for token_text, tx in result.samples:
        assert guard_verdict(token_text, tx, jwks, served.url + "/") == (True, "alice")
    return result


def test_bounded_load_run_sqlite(tmp_path, capsys):
    with ServedIssuer(tmp_path, GENEROUS_LIMITS) as served:
        result = load_run(served, SQLITE_SECONDS)
        audited = served.cli("--json", "audit", "tail", "--limit", "1", "--event", "token_issued")
    with capsys.disabled():
        print(f"\nissuer load run, SQLite, {CLIENTS} clients on 127.0.0.1 (bound {SQLITE_SECONDS:.0f} s, "
              f"{LOAD_REQUESTS} requests):\n" + result.line("1 worker "))
    assert '"event": "token_issued"' in audited


def test_bounded_load_run_postgres_one_and_two_workers(tmp_path, postgres_server, capsys):
    lines = []
    for workers in (1, 2):
        name = f"issuer_load_{workers}_{uuid.uuid4().hex[:8]}"
        workdir = tmp_path / name
        workdir.mkdir()
        try:
            url = create_database(postgres_server, name)
            with ServedIssuer(workdir, GENEROUS_LIMITS, workers=workers, database_url=url) as served:
                result = load_run(served, POSTGRES_SECONDS)
        finally:
            drop_database(postgres_server, name)
        lines.append(result.line(f"{workers} worker{'s' if workers > 1 else ' '}"))
    with capsys.disabled():
        print(f"\nissuer load run, PostgreSQL, {CLIENTS} clients on 127.0.0.1 (bound {POSTGRES_SECONDS:.0f} s per "
              "run):\n" + "\n".join(lines))
