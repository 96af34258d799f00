"""A node's block clock: `BlockProducer` makes a block every `block_time` seconds, whether or not anything happens.

Like nearcore's `min_block_production_delay`/`max_block_production_delay`,
a block comes sooner -- `min_block_time` after the last one -- while there
is something for it to do (transactions queued, receipts in flight, a
client waiting for a status, a block that did something and is not final
yet), and `block_time` after the last one when the
node is idle, so the chain's clock keeps up with the wall clock.
"""
from __future__ import annotations

import logging
import threading
import time

log = logging.getLogger("localnet.producer")

DEFAULT_BLOCK_TIME_S = 1.0
DEFAULT_MIN_BLOCK_TIME_S = 0.1
YIELD_S = 0.001


class BlockProducer:
    def __init__(self, chain, block_time: float = DEFAULT_BLOCK_TIME_S, min_block_time: float = DEFAULT_MIN_BLOCK_TIME_S):
        if block_time <= 0 or min_block_time < 0 or min_block_time > block_time:
            raise ValueError("need 0 <= min_block_time <= block_time and block_time > 0")
        self.chain = chain
        self.block_time = block_time
        self.min_block_time = min_block_time
        self._stop = False
        self._thread: threading.Thread | None = None

    def start(self) -> "BlockProducer":
        self._thread = threading.Thread(target=self._run, name="localnet-blocks", daemon=True)
        self._thread.start()
        return self

    def stop(self) -> None:
        condition = self.chain._block_made
        with condition:
            self._stop = True
            condition.notify_all()
        if self._thread is not None:
            self._thread.join()
            self._thread = None

    def _run(self) -> None:
        chain = self.chain
        condition = chain._block_made
        with condition:
            while not self._stop:
                delay = self.min_block_time if chain.has_work else self.block_time
                wait = chain._last_block_at + delay - time.monotonic()
                if wait > 0:
                    # Woken early by a new transaction (or a block made by someone else): look again.
                    condition.wait(wait)
                    continue
                try:
                    chain.produce_block()
                except Exception:  # noqa: BLE001 - the node must keep its clock; the failure is reported to waiters
                    log.exception("block production failed")
                    condition.wait(self.block_time)
                # Let the clients woken by this block in before the next one (the lock is not fair).
                condition.wait(YIELD_S)
