"""JSON-RPC 2.0 over HTTP, the way nearcore serves it.

POST `/` takes one request object and always answers HTTP 200 with either
`result` or NEAR's `error` envelope.  GET `/status` returns the status
object bare and GET `/health` an empty 200, as nearcore does.  The server
uses one thread per connection (keep-alive, so a client reuses its thread)
and `RpcMethods` serializes all chain access with a lock.
"""
from __future__ import annotations

import base64
import json
import logging
import threading
import time
from http import HTTPStatus
from http.server import BaseHTTPRequestHandler, ThreadingHTTPServer
from typing import Any, Optional

from ..borsh import BorshError, decode_signed_transaction
from ..chain.producer import DEFAULT_MIN_BLOCK_TIME_S, BlockProducer
from . import errors
from .errors import RpcError
from .methods import RpcMethods

log = logging.getLogger("localnet.rpc")

# nearcore's default `json_payload_max_size`.
MAX_BODY_BYTES = 10 * 1024 * 1024


def handle_rpc_body(methods: RpcMethods, body: bytes) -> tuple[dict, str]:
    """One HTTP body in, one JSON-RPC response object out, plus a short log summary."""
    try:
        request = json.loads(body)
    except (ValueError, RecursionError) as err:  # RecursionError: absurdly deep nesting
        return error_response(None, errors.parse_error(f"Invalid JSON: {err}")), "(invalid JSON) -> PARSE_ERROR"
    if not isinstance(request, dict) or not isinstance(request.get("method"), str):
        request_id = request.get("id") if isinstance(request, dict) else None
        message = "expected a JSON-RPC request object with a string `method`"
        return error_response(request_id, errors.parse_error(message)), "(not a request) -> PARSE_ERROR"
    request_id = request.get("id")
    method = request["method"]
    params = request.get("params")
    summary = describe_call(method, params)
    try:
        result = methods.call(method, params)
    except RpcError as err:
        return error_response(request_id, err), f"{summary} -> {err.cause_name}: {short_json(err.data)}"
    except Exception as exc:  # noqa: BLE001 - a bug must still produce an answer
        log.exception("unexpected failure in %s", method)
        err = errors.internal_error(f"{type(exc).__name__}: {exc}")
        return error_response(request_id, err), f"{summary} -> INTERNAL_ERROR"
    return {"jsonrpc": "2.0", "result": result, "id": request_id}, f"{summary} -> ok"


def error_response(request_id: Any, err: RpcError) -> dict:
    return {"jsonrpc": "2.0", "error": err.to_json(), "id": request_id}


def describe_call(method: str, params: Any) -> str:
    """`query view_account test.near`, `broadcast_tx_commit alice.near -> bob.near [Transfer]`, … for the log."""
    if method == "query" and isinstance(params, dict):
        parts = [method, str(params.get("request_type")), str(params.get("account_id"))]
        if params.get("method_name"):
            parts.append(str(params["method_name"]))
        return " ".join(parts)
    if method == "query" and isinstance(params, list) and params:
        return f"query {str(params[0])[:80]}"
    if method in TRANSACTION_METHODS:
        encoded = params[0] if isinstance(params, list) and params else None
        if isinstance(params, dict):
            encoded = params.get("signed_tx_base64")
        if isinstance(encoded, str):
            return f"{method} {describe_transaction(encoded)}"
    return method[:80]


TRANSACTION_METHODS = ("broadcast_tx_commit", "broadcast_tx_async", "send_tx")


def describe_transaction(encoded: str) -> str:
    try:
        transaction = decode_signed_transaction(base64.b64decode(encoded, validate=True)).transaction
    except (ValueError, BorshError):
        return "(undecodable)"
    actions = ", ".join(type(action).__name__ for action in transaction.actions)
    return f"{transaction.signer_id} -> {transaction.receiver_id} [{actions}]"


def short_json(value: Any, limit: int = 200) -> str:
    text = value if isinstance(value, str) else json.dumps(value)
    return text if len(text) <= limit else text[: limit - 1] + "…"


class RpcRequestHandler(BaseHTTPRequestHandler):
    protocol_version = "HTTP/1.1"  # keep-alive: clients reuse connections
    # Headers and body go out in separate writes; with Nagle's algorithm the
    # body then waits for the client's delayed ACK (~40 ms per request).
    disable_nagle_algorithm = True
    server: "RpcHttpServer"

    def do_POST(self) -> None:  # noqa: N802 - http.server naming
        started = time.perf_counter()
        body = self._read_body()
        if body is None:
            return
        response, summary = handle_rpc_body(self.server.methods, body)
        self._send_json(response)
        log.info("%s (%.1f ms)", summary, (time.perf_counter() - started) * 1000)

    def do_GET(self) -> None:  # noqa: N802
        path = self.path.split("?", 1)[0]
        if path == "/status":
            try:
                self._send_json(self.server.methods.status())
            except RpcError as err:
                self._send_json(err.to_json(), HTTPStatus.INTERNAL_SERVER_ERROR)
        elif path == "/health":
            self._send_bytes(b"", "text/plain")
        else:
            self._send_bytes(b"Not Found\n", "text/plain", HTTPStatus.NOT_FOUND)

    def do_OPTIONS(self) -> None:  # noqa: N802 - CORS preflight, as nearcore allows any origin
        self.send_response(HTTPStatus.NO_CONTENT)
        self.send_header("Access-Control-Allow-Origin", "*")
        self.send_header("Access-Control-Allow-Methods", "GET, POST, OPTIONS")
        self.send_header("Access-Control-Allow-Headers", "Content-Type, Authorization")
        self.send_header("Content-Length", "0")
        self.end_headers()

    def _read_body(self) -> Optional[bytes]:
        if "chunked" in self.headers.get("Transfer-Encoding", "").lower():
            return self._read_chunked()
        try:
            length = int(self.headers.get("Content-Length", "0"))
        except ValueError:
            length = -1
        if length < 0 or length > MAX_BODY_BYTES:
            # We cannot find the end of this body, so answer and drop the connection.
            self.close_connection = True
            self._send_json(error_response(None, errors.parse_error("invalid or too large Content-Length")))
            return None
        return self.rfile.read(length)

    def _read_chunked(self) -> Optional[bytes]:
        chunks, total = [], 0
        while True:
            line = self.rfile.readline(1024)
            try:
                size = int(line.split(b";")[0].strip(), 16)
            except ValueError:
                size = -1
            if size < 0 or total + size > MAX_BODY_BYTES:
                self.close_connection = True
                self._send_json(error_response(None, errors.parse_error("invalid chunked body")))
                return None
            if size == 0:
                while self.rfile.readline(1024) not in (b"\r\n", b"\n", b""):
                    pass
                return b"".join(chunks)
            chunks.append(self.rfile.read(size))
            total += size
            self.rfile.readline(1024)

    def _send_json(self, payload: Any, status: HTTPStatus = HTTPStatus.OK) -> None:
        try:
            body = json.dumps(payload).encode("utf-8")
        except (TypeError, ValueError) as err:
            log.exception("unserializable answer")
            request_id = payload.get("id") if isinstance(payload, dict) else None
            body = json.dumps(error_response(request_id, errors.internal_error(f"unserializable answer: {err}"))).encode()
        self._send_bytes(body, "application/json", status)

    def _send_bytes(self, body: bytes, content_type: str, status: HTTPStatus = HTTPStatus.OK) -> None:
        self.send_response(status)
        self.send_header("Content-Type", content_type)
        self.send_header("Content-Length", str(len(body)))
        self.send_header("Access-Control-Allow-Origin", "*")
        self.end_headers()
        self.wfile.write(body)

    def log_message(self, format: str, *args: Any) -> None:  # noqa: A002
        # http.server's own per-request lines are replaced by the summaries above.
        log.debug("%s %s", self.address_string(), format % args)

    def log_error(self, format: str, *args: Any) -> None:  # noqa: A002
        log.warning("%s %s", self.address_string(), format % args)


class RpcHttpServer(ThreadingHTTPServer):
    daemon_threads = True
    allow_reuse_address = True

    def __init__(self, address: tuple[str, int], methods: RpcMethods):
        self.methods = methods
        super().__init__(address, RpcRequestHandler)


class RpcServer:
    """NEAR's JSON-RPC for one chain, on `host:port` (port 0 picks a free one)."""

    def __init__(self, chain, host: str = "127.0.0.1", port: int = 3030, *, lock: Optional[threading.Lock] = None,
                 block_time: Optional[float] = None, min_block_time: float = DEFAULT_MIN_BLOCK_TIME_S):
        """With `block_time` (seconds) the server is a node: a BlockProducer makes blocks on that clock and
        transactions wait for them.  Without it, each transaction makes its own blocks (in-process tests)."""
        self.producer = None if block_time is None else BlockProducer(chain, block_time, min(min_block_time, block_time))
        self.methods = RpcMethods(chain, lock=lock, producer=self.producer)
        self.httpd = RpcHttpServer((host, port), self.methods)
        self.host, self.port = self.httpd.server_address[:2]
        self.methods.rpc_addr = f"{self.host}:{self.port}"
        self._thread: Optional[threading.Thread] = None

    @property
    def url(self) -> str:
        host = f"[{self.host}]" if ":" in self.host else self.host
        return f"http://{host}:{self.port}"

    def serve_forever(self) -> None:
        self.httpd.serve_forever(poll_interval=0.2)

    def start(self) -> "RpcServer":
        """Serve from a background thread (for in-process use and tests)."""
        if self.producer is not None:
            self.producer.start()
        self._thread = threading.Thread(target=self.serve_forever, name="localnet-rpc", daemon=True)
        self._thread.start()
        return self

    def shutdown(self) -> None:
        """Stop accepting requests; a request in progress finishes first."""
        if self._thread is not None:
            self.httpd.shutdown()
            self._thread.join()
            self._thread = None
        if self.producer is not None:
            self.producer.stop()
        self.httpd.server_close()

    def __enter__(self) -> "RpcServer":
        return self.start()

    def __exit__(self, *exc: Any) -> None:
        self.shutdown()
