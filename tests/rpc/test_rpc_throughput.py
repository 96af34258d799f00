"""Transactions per second over JSON-RPC: reported, not asserted (wall-clock varies by machine)."""
from __future__ import annotations

import time

from localnet.primitives import Transfer
from tests.rpc.test_rpc_node import NEAR, create_account
from tests.rpc.wallet import KeyPair, RawRpc, py_near_account, run, wait_until_final

TRANSFERS = 200
PY_NEAR_TRANSFERS = 50


def test_transfers_per_second(network, capsys):
    rpc = RawRpc(network.rpc_url)
    root_key = KeyPair.from_secret_text(network.root_secret_key)
    sender, key = create_account(network, root_key, "bench", balance=100 * NEAR)
    receiver = network.root_account_id
    try:
        first_nonce = rpc.access_key_nonce(sender, key) + 1
        before = int(rpc.result("query", {"request_type": "view_account", "account_id": sender, "finality": "final"})["amount"])

        # Signing is in the timed loop, as a wallet would do it; the block
        # hash a transaction names is refreshed (one `status` call) every 20
        # transactions so it never ages out of the validity window.
        started = time.perf_counter()
        for i in range(TRANSFERS):
            if i % 20 == 0:
                block_hash = rpc.latest_block_hash()
            tx = rpc.signed_transaction(sender, key, receiver, (Transfer(1),), nonce=first_nonce + i, block_hash=block_hash)
            outcome = rpc.result("broadcast_tx_commit", [tx])
            assert outcome["status"] == {"SuccessValue": ""}
        elapsed = time.perf_counter() - started

        wait_until_final(network.rpc_url, outcome)
        after_account = rpc.result("query", {"request_type": "view_account", "account_id": sender, "finality": "final"})
        assert rpc.access_key_nonce(sender, key) == first_nonce + TRANSFERS - 1
        assert before - int(after_account["amount"]) > TRANSFERS  # the deposits plus gas
    finally:
        rpc.close()

    async def py_near_loop() -> float:
        async with py_near_account(network.rpc_url, sender, key) as account:
            started = time.perf_counter()
            for _ in range(PY_NEAR_TRANSFERS):
                outcome = await account.send_money(receiver, 1)
                assert outcome.status == {"SuccessValue": ""}
            return time.perf_counter() - started

    py_near_elapsed = run(py_near_loop())

    with capsys.disabled():
        print(
            f"\n[{network.kind}] {TRANSFERS} transfers signed locally, sent with broadcast_tx_commit: "
            f"{elapsed:.2f}s = {TRANSFERS / elapsed:.0f} tx/s; "
            f"{PY_NEAR_TRANSFERS} py-near send_money: {py_near_elapsed:.2f}s = {PY_NEAR_TRANSFERS / py_near_elapsed:.0f} tx/s"
        )
