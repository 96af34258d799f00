"""Running the app on uvicorn, one worker or several, with a shutdown that finishes what it accepted.

On SIGTERM/SIGINT a worker first *drains* for `DRAIN_SECONDS`: it stops
accepting connections, keeps answering on the ones it has, and marks every
answer `Connection: close`, so a client's next request goes to a new
connection (another worker, or a refused connect it can retry elsewhere)
instead of racing the worker closing an idle keep-alive connection under it.
Then uvicorn's own graceful shutdown runs: in-flight requests finish (up to
`GRACEFUL_SHUTDOWN_SECONDS`).

With several workers uvicorn's supervisor keeps its own copy of the listening
socket open until every worker has exited, and the kernel goes on completing
handshakes for connections no worker will accept, resetting them when the
supervisor exits. `DrainingSupervisor` closes its copy first and stops the
workers one after the other, so the clients of a stopping worker move to one
still serving, and once the last one stops listening connections are refused.
A second signal skips the drain.
"""
from __future__ import annotations

import asyncio
import os
import shutil
import tempfile
import threading

import uvicorn
from uvicorn.supervisors import Multiprocess, multiprocess

from .metrics import MULTIPROCESS_ENV

DRAIN_SECONDS = 1.0
# In-flight requests get this long to finish after the drain before the worker stops anyway.
GRACEFUL_SHUTDOWN_SECONDS = 30
APP = "issuer.app:app_from_environment"
# Set once this process has begun to shut down; the app then answers with `Connection: close`.
DRAINING = threading.Event()


class DrainingServer(uvicorn.Server):
    def __init__(self, config: uvicorn.Config):
        super().__init__(config)
        self._loop = None

    async def startup(self, sockets=None) -> None:
        self._loop = asyncio.get_running_loop()
        await super().startup(sockets)

    def handle_exit(self, sig, frame) -> None:
        if DRAINING.is_set() or self._loop is None:
            return super().handle_exit(sig, frame)
        DRAINING.set()
        self._loop.call_soon_threadsafe(self._drain, sig)

    def _drain(self, sig) -> None:
        for server in self.servers:
            server.close()  # no new connections; the open ones carry on
        self._loop.call_later(DRAIN_SECONDS, uvicorn.Server.handle_exit, self, sig, None)


class DrainingProcess(multiprocess.Process):
    """uvicorn's worker process, running a DrainingServer."""

    @property
    def server(self) -> uvicorn.Server:
        if self._server is None:
            self._server = DrainingServer(config=self.config)
        return self._server


class DrainingSupervisor(Multiprocess):
    def terminate_all(self) -> None:
        for sock in self.sockets:
            sock.close()
        for process in self.processes:  # one at a time, see the module's docstring
            process.terminate()
            process.join()


def serve(**options) -> None:
    """uvicorn with the issuer's app factory; `options` are uvicorn.Config's."""
    config = uvicorn.Config(APP, factory=True, timeout_graceful_shutdown=GRACEFUL_SHUTDOWN_SECONDS, **options)
    if config.workers <= 1:
        DrainingServer(config).run()
        return
    metrics_dir = None
    if not os.environ.get(MULTIPROCESS_ENV):
        # Every worker writes its metrics here; /metrics, answered by any one of them, adds them all up.
        metrics_dir = tempfile.mkdtemp(prefix="issuer-metrics-")
        os.environ[MULTIPROCESS_ENV] = metrics_dir
    # uvicorn's supervisor builds its workers from the module's `Process` wherever it (re)starts one.
    multiprocess.Process = DrainingProcess
    try:
        DrainingSupervisor(config, sockets=[config.bind_socket()]).run()
    finally:
        if metrics_dir is not None:
            shutil.rmtree(metrics_dir, ignore_errors=True)
