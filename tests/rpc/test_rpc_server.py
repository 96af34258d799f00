"""The RPC server in process, over an in-memory chain: HTTP edges, concurrency, internal errors."""
from __future__ import annotations

import http.client
import json
import socket
import threading

import pytest

from localnet.chain import Chain
from localnet.primitives import AccessKey, AddKey, CreateAccount, FullAccess, Transfer
from localnet.rpc.server import MAX_BODY_BYTES, RpcServer
from tests.rpc.wallet import KeyPair, RawRpc, error_of

NEAR = 10**24


@pytest.fixture
def node():
    root = KeyPair.generate()
    chain = Chain(None, root_public_key=root.borsh_public_key)
    server = RpcServer(chain, "127.0.0.1", 0).start()
    yield server, root
    server.shutdown()
    chain.close()


def test_status_reports_the_address_it_listens_on(node):
    server, _ = node
    rpc = RawRpc(server.url)
    assert rpc.result("status", [])["rpc_addr"] == f"127.0.0.1:{server.port}"
    rpc.close()


def test_concurrent_clients_are_serialized_safely(node):
    """Eight threads, each sending transfers from its own account while others read."""
    server, root = node
    setup = RawRpc(server.url)
    senders = []
    for i in range(8):
        key = KeyPair.generate()
        account_id = f"worker{i}.test.near"
        tx = setup.signed_transaction(
            "test.near",
            root,
            account_id,
            (CreateAccount(), AddKey(key.borsh_public_key, AccessKey(0, FullAccess())), Transfer(10 * NEAR)),
        )
        assert setup.result("broadcast_tx_commit", [tx])["status"] == {"SuccessValue": ""}
        senders.append((account_id, key))
    failures: list = []

    def work(account_id: str, key: KeyPair) -> None:
        rpc = RawRpc(server.url)
        try:
            for _ in range(15):
                tx = rpc.signed_transaction(account_id, key, "test.near", (Transfer(1),))
                outcome = rpc.call("broadcast_tx_commit", [tx])
                if outcome.get("result", {}).get("status") != {"SuccessValue": ""}:
                    failures.append(outcome)
                rpc.result("query", {"request_type": "view_account", "account_id": account_id, "finality": "final"})
        except Exception as exc:  # noqa: BLE001 - collected and asserted below
            failures.append(exc)
        finally:
            rpc.close()

    threads = [threading.Thread(target=work, args=sender) for sender in senders]
    for thread in threads:
        thread.start()
    for thread in threads:
        thread.join()

    assert failures == []
    for account_id, key in senders:
        # Each key was used once per transfer, after its creation nonce.
        nonces = setup.access_key_nonce(account_id, key)
        assert nonces % 1_000_000 == 15
    setup.close()


def test_a_chain_failure_is_an_internal_error_and_the_server_keeps_serving():
    class BrokenViewChain(Chain):
        """A real chain whose account view fails the way a bug would."""

        def view_account(self, account_id, block_reference="optimistic"):
            raise RuntimeError("simulated bug")

    chain = BrokenViewChain(None)
    with RpcServer(chain, "127.0.0.1", 0) as server:
        rpc = RawRpc(server.url)
        error = error_of(rpc.call("query", {"request_type": "view_account", "account_id": "test.near", "finality": "final"}))
        assert error["name"] == "INTERNAL_ERROR" and error["cause"]["name"] == "INTERNAL_ERROR"
        assert "simulated bug" in error["cause"]["info"]["error_message"]
        assert rpc.result("status", [])["chain_id"] == "localnet"
        rpc.close()
    chain.close()


def test_malformed_state_records_are_refused_whole(node):
    server, _ = node
    rpc = RawRpc(server.url)
    records = [
        {"Data": {"account_id": "test.near", "data_key": "aw==", "value": "dg=="}},
        {"Account": {"account_id": "bad.test.near"}},  # no `account` object
    ]
    error = error_of(rpc.call("sandbox_patch_state", {"records": records}))
    assert error["cause"]["name"] == "PARSE_ERROR"
    state = rpc.result("query", {"request_type": "view_state", "account_id": "test.near", "prefix_base64": "", "finality": "final"})
    assert state["values"] == []
    rpc.close()


def test_oversized_body_is_refused_without_reading_it(node):
    server, _ = node
    with socket.create_connection(("127.0.0.1", server.port), timeout=10) as sock:
        sock.sendall(
            b"POST / HTTP/1.1\r\nHost: x\r\nContent-Type: application/json\r\n"
            + f"Content-Length: {MAX_BODY_BYTES + 1}\r\n\r\n".encode()
        )
        response = sock.makefile("rb").read()
    head, _, body = response.partition(b"\r\n\r\n")
    assert head.startswith(b"HTTP/1.1 200")
    assert json.loads(body)["error"]["cause"]["name"] == "PARSE_ERROR"
    assert RawRpc(server.url).result("health", []) is None


def test_chunked_request_body_and_cors_preflight(node):
    server, _ = node
    connection = http.client.HTTPConnection("127.0.0.1", server.port, timeout=10)
    body = json.dumps({"jsonrpc": "2.0", "id": 1, "method": "gas_price", "params": [None]}).encode()
    connection.request("POST", "/", body=iter([body[:10], body[10:]]), headers={"Content-Type": "application/json"}, encode_chunked=True)
    response = connection.getresponse()
    assert response.status == 200
    assert json.loads(response.read())["result"] == {"gas_price": "100000000"}

    connection.request("OPTIONS", "/")
    response = connection.getresponse()
    response.read()
    assert response.status == 204 and response.getheader("Access-Control-Allow-Origin") == "*"

    connection.request("GET", "/nope")
    response = connection.getresponse()
    response.read()
    assert response.status == 404
    connection.close()
