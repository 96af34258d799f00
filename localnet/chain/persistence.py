"""Keeping the chain in `home/chain.sqlite` so a restarted node carries on where it stopped.

Four tables: `meta` (genesis settings, root key, clock, supply), `state`
(the flat key-value state, see state.py), `blocks` (every block's header
fields) and `transactions` (each transaction's final outcome as the RPC
returns it, and the action receipts it executed as nearcore's ReceiptViews).
The chain writes after every operation that changed something, in one SQL
transaction, so a crash loses at most that operation.
"""
from __future__ import annotations

import json
import sqlite3
from pathlib import Path
from typing import Iterable, Optional

from .blocks import Block

SCHEMA = """
CREATE TABLE IF NOT EXISTS meta (key TEXT PRIMARY KEY, value TEXT NOT NULL);
CREATE TABLE IF NOT EXISTS state (key BLOB PRIMARY KEY, value BLOB NOT NULL);
CREATE TABLE IF NOT EXISTS blocks (height INTEGER PRIMARY KEY, hash BLOB NOT NULL, record TEXT NOT NULL);
CREATE TABLE IF NOT EXISTS transactions (
    hash BLOB PRIMARY KEY, position INTEGER NOT NULL, signer_id TEXT NOT NULL, outcome TEXT NOT NULL,
    receipts TEXT NOT NULL DEFAULT '[]'
);
"""


def block_to_record(block: Block) -> str:
    return json.dumps(
        {
            "prev_hash": block.prev_hash.hex(),
            "timestamp": block.timestamp,
            "random_value": block.random_value.hex(),
            "tx_hashes": [h.hex() for h in block.tx_hashes],
            "receipt_ids": [r.hex() for r in block.receipt_ids],
            "gas_burnt": block.gas_burnt,
            "tokens_burnt": str(block.tokens_burnt),
            "total_supply": str(block.total_supply),
            "outcome_root": block.outcome_root.hex(),
            "chunk_outcome_root": block.chunk_outcome_root.hex(),
            "block_merkle_root": block.block_merkle_root.hex(),
            "next_bp_hash": block.next_bp_hash.hex(),
        },
        separators=(",", ":"),
    )


# Homes written before blocks carried their light-client roots read as zero roots.
ZERO_HEX = "00" * 32


def block_from_record(height: int, block_hash: bytes, record: str) -> Block:
    fields = json.loads(record)
    return Block(
        height=height,
        hash=bytes(block_hash),
        prev_hash=bytes.fromhex(fields["prev_hash"]),
        timestamp=fields["timestamp"],
        random_value=bytes.fromhex(fields["random_value"]),
        tx_hashes=tuple(bytes.fromhex(h) for h in fields["tx_hashes"]),
        receipt_ids=tuple(bytes.fromhex(r) for r in fields["receipt_ids"]),
        gas_burnt=fields["gas_burnt"],
        tokens_burnt=int(fields["tokens_burnt"]),
        total_supply=int(fields["total_supply"]),
        outcome_root=bytes.fromhex(fields.get("outcome_root", ZERO_HEX)),
        chunk_outcome_root=bytes.fromhex(fields.get("chunk_outcome_root", ZERO_HEX)),
        block_merkle_root=bytes.fromhex(fields.get("block_merkle_root", ZERO_HEX)),
        next_bp_hash=bytes.fromhex(fields.get("next_bp_hash", ZERO_HEX)),
    )


class ChainDatabase:
    def __init__(self, path: Path):
        path.parent.mkdir(parents=True, exist_ok=True)
        # The chain serialises access itself; the RPC server calls it from several threads.
        self._db = sqlite3.connect(str(path), check_same_thread=False, isolation_level=None)
        self._db.execute("PRAGMA journal_mode=WAL")
        self._db.execute("PRAGMA synchronous=NORMAL")
        self._db.executescript(SCHEMA)
        columns = {row[1] for row in self._db.execute("PRAGMA table_info(transactions)")}
        if "receipts" not in columns:
            # A database written before receipts were kept: its transactions have none.
            self._db.execute("ALTER TABLE transactions ADD COLUMN receipts TEXT NOT NULL DEFAULT '[]'")

    def close(self) -> None:
        self._db.close()

    def is_initialised(self) -> bool:
        return self._db.execute("SELECT 1 FROM meta WHERE key = 'chain_id'").fetchone() is not None

    def load_meta(self) -> dict[str, str]:
        return dict(self._db.execute("SELECT key, value FROM meta"))

    def load_state(self) -> dict[bytes, bytes]:
        return {bytes(k): bytes(v) for k, v in self._db.execute("SELECT key, value FROM state")}

    def load_blocks(self) -> list[Block]:
        rows = self._db.execute("SELECT height, hash, record FROM blocks ORDER BY height")
        return [block_from_record(height, block_hash, record) for height, block_hash, record in rows]

    def load_transactions(self) -> tuple[dict[bytes, dict], dict[bytes, list]]:
        """Each transaction's final outcome and its executed receipts, in submission order."""
        outcomes, receipts = {}, {}
        for tx_hash, outcome, tx_receipts in self._db.execute(
            "SELECT hash, outcome, receipts FROM transactions ORDER BY position"
        ):
            outcomes[bytes(tx_hash)] = json.loads(outcome)
            receipts[bytes(tx_hash)] = json.loads(tx_receipts)
        return outcomes, receipts

    def save(
        self,
        meta: dict[str, str],
        state_changes: Iterable[tuple[bytes, Optional[bytes]]],
        blocks: Iterable[Block],
        transactions: Iterable[tuple[bytes, int, str, dict, list]],
    ) -> None:
        with self._transaction():
            self._write(meta, state_changes, blocks, transactions)

    def rewrite(self, meta, state: dict[bytes, bytes], blocks, transactions) -> None:
        """Replace everything (after `restore` rewound the chain)."""
        with self._transaction():
            for table in ("state", "blocks", "transactions"):
                self._db.execute(f"DELETE FROM {table}")
            self._write(meta, state.items(), blocks, transactions)

    def _write(self, meta, state_changes, blocks, transactions) -> None:
        db = self._db
        db.executemany("INSERT OR REPLACE INTO meta (key, value) VALUES (?, ?)", meta.items())
        upserts, deletions = [], []
        for key, value in state_changes:
            if value is None:
                deletions.append((key,))
            else:
                upserts.append((key, value))
        db.executemany("DELETE FROM state WHERE key = ?", deletions)
        db.executemany("INSERT OR REPLACE INTO state (key, value) VALUES (?, ?)", upserts)
        db.executemany(
            "INSERT OR REPLACE INTO blocks (height, hash, record) VALUES (?, ?, ?)",
            ((b.height, b.hash, block_to_record(b)) for b in blocks),
        )
        db.executemany(
            "INSERT OR REPLACE INTO transactions (hash, position, signer_id, outcome, receipts) VALUES (?, ?, ?, ?, ?)",
            (
                (h, position, signer, json.dumps(outcome, separators=(",", ":")), json.dumps(receipts, separators=(",", ":")))
                for h, position, signer, outcome, receipts in transactions
            ),
        )

    def _transaction(self):
        db = self._db

        class _Tx:
            def __enter__(self):
                db.execute("BEGIN")

            def __exit__(self, exc_type, exc, tb):
                db.execute("COMMIT" if exc_type is None else "ROLLBACK")
                return False

        return _Tx()
