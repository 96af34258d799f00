"""A bounded load run on loopback: `issuer serve` (uvicorn, one worker, SQLite) issuing tokens to concurrent clients.

Bounded in time (LOAD_SECONDS, 20 s by default, never over 30 s) and in count (LOAD_REQUESTS, 4000 by default);
only 127.0.0.1. Reports tokens per second and latency percentiles (printed, not asserted: wall-clock numbers
depend on the machine); asserts zero errors and that sampled tokens verify with the guard's own core.
"""
from __future__ import annotations

import os
import random
import statistics
import threading
import time

import httpx

from tests.issuer.issuer_support import GENEROUS_LIMITS, ServedIssuer, guard_verdict, transfer

LOAD_SECONDS = min(30.0, float(os.environ.get("ISSUER_LOAD_SECONDS", "20")))
LOAD_REQUESTS = int(os.environ.get("ISSUER_LOAD_REQUESTS", "4000"))
CLIENTS = int(os.environ.get("ISSUER_LOAD_CLIENTS", "8"))


def percentile(values: list[float], fraction: float) -> float:
    ordered = sorted(values)
    return ordered[min(len(ordered) - 1, int(round(fraction * (len(ordered) - 1))))]


def test_bounded_load_run(tmp_path, capsys):
    with ServedIssuer(tmp_path, GENEROUS_LIMITS) as served:
        token = served.access_token()
        # Distinct transactions (nonces), as real clients send.
        bodies = [{"transaction_hex": transfer(nonce=n).hex()} for n in range(1, 257)]
        latencies: list[float] = []
        errors: list[str] = []
        samples: list[tuple[str, bytes]] = []
        issued = [0]
        lock = threading.Lock()
        stop_at = time.monotonic() + LOAD_SECONDS

        def client(index: int) -> None:
            rng = random.Random(index)
            with httpx.Client(base_url=served.url, headers={"Authorization": f"Bearer {token}"},
                              timeout=30) as http:
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
                            errors.append(type(err).__name__)
                        continue
                    elapsed = time.perf_counter() - started
                    with lock:
                        if response.status_code != 200:
                            errors.append(f"{response.status_code} {response.text[:100]}")
                        else:
                            latencies.append(elapsed)
                            if len(samples) < 20 and rng.random() < 0.05:
                                samples.append((response.json()["token"], bytes.fromhex(body["transaction_hex"])))

        started = time.monotonic()
        threads = [threading.Thread(target=client, args=(i,)) for i in range(CLIENTS)]
        for thread in threads:
            thread.start()
        for thread in threads:
            thread.join()
        wall = time.monotonic() - started
        jwks = httpx.get(served.url + "/.well-known/jwks.json").json()
        audited = served.cli("--json", "audit", "tail", "--limit", "1", "--event", "token_issued")

    assert not errors, f"{len(errors)} errors, e.g. {errors[:5]}"
    assert latencies, "no request completed"
    rate = len(latencies) / wall
    report = (f"\nissuer load run: {len(latencies)} tokens in {wall:.1f} s with {CLIENTS} clients on 127.0.0.1 "
              f"(bounds: {LOAD_SECONDS:.0f} s, {LOAD_REQUESTS} requests)\n"
              f"  tokens/s: {rate:.1f}\n"
              f"  latency ms: p50 {1000 * statistics.median(latencies):.1f}, "
              f"p90 {1000 * percentile(latencies, 0.90):.1f}, p99 {1000 * percentile(latencies, 0.99):.1f}, "
              f"max {1000 * max(latencies):.1f}\n  errors: 0")
    with capsys.disabled():
        print(report)
    # Correct under load: sampled tokens verify with the guard's own pure core, and every one was audited.
    for token_text, tx in samples:
        assert guard_verdict(token_text, tx, jwks, served.url + "/") == (True, "alice")
    assert '"event": "token_issued"' in audited
