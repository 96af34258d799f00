"""The chain's state: one flat key-value map, and overlays that commit or vanish.

Every record lives under a key whose first byte names its kind, followed by
the account id (account ids never contain NUL, so NUL separates the parts):

    a<account>              account record (Borsh AccountRecord)
    k<account>\\0<pubkey>    access key (Borsh AccessKey), pubkey in Borsh form
    c<account>              contract code
    d<account>\\0<key>       contract data

A receipt runs against a `StateUpdate` overlay; success merges the overlay
into the committed map, failure drops it, which is how a failed receipt
rolls back only its own changes.
"""
from __future__ import annotations

from dataclasses import dataclass
from typing import Iterator, Optional

from ..borsh import BorshReader, BorshWriter, decode_access_key, encode_access_key
from ..primitives import AccessKey

NO_CODE_HASH = bytes(32)


@dataclass(frozen=True)
class AccountRecord:
    """nearcore's account (V1 layout): balances in yocto, code hash, storage in bytes."""

    amount: int
    locked: int
    code_hash: bytes  # 32 zero bytes when no contract
    storage_usage: int

    def encode(self) -> bytes:
        writer = BorshWriter()
        writer.u128(self.amount)
        writer.u128(self.locked)
        writer.fixed(self.code_hash)
        writer.u64(self.storage_usage)
        return writer.output()

    @classmethod
    def decode(cls, data: bytes) -> "AccountRecord":
        reader = BorshReader(data)
        return cls(reader.u128(), reader.u128(), reader.fixed(32), reader.u64())


def access_key_storage_usage(public_key: bytes, key: AccessKey, extra_bytes_record: int) -> int:
    """nearcore charges `len(borsh(public_key)) + len(borsh(access_key)) + extra` bytes per key."""
    return len(public_key) + len(encode_access_key(key)) + extra_bytes_record


ACCOUNT, ACCESS_KEY, CODE, DATA = b"a", b"k", b"c", b"d"
SEPARATOR = b"\x00"


def account_key(account_id: str) -> bytes:
    return ACCOUNT + account_id.encode()


def access_key_key(account_id: str, public_key: bytes) -> bytes:
    return ACCESS_KEY + account_id.encode() + SEPARATOR + public_key


def code_key(account_id: str) -> bytes:
    return CODE + account_id.encode()


def data_key(account_id: str, key: bytes) -> bytes:
    return DATA + account_id.encode() + SEPARATOR + key


def access_keys_prefix(account_id: str) -> bytes:
    return ACCESS_KEY + account_id.encode() + SEPARATOR


def data_prefix(account_id: str) -> bytes:
    return DATA + account_id.encode() + SEPARATOR


class StateUpdate:
    """A layer of changes over a base map (the committed state or another layer)."""

    def __init__(self, base):
        self.base = base
        self.changes: dict[bytes, Optional[bytes]] = {}

    # ---- raw access -----------------------------------------------------

    def get(self, key: bytes) -> Optional[bytes]:
        if key in self.changes:
            return self.changes[key]
        return self.base.get(key)

    def set(self, key: bytes, value: bytes) -> None:
        self.changes[key] = value

    def delete(self, key: bytes) -> None:
        self.changes[key] = None

    def items_with_prefix(self, prefix: bytes) -> Iterator[tuple[bytes, bytes]]:
        """(key, value) pairs under `prefix`, sorted by key, with this layer's changes applied."""
        merged = dict(self.base.items_with_prefix(prefix)) if isinstance(self.base, StateUpdate) else {
            key: value for key, value in self.base.items() if key.startswith(prefix)
        }
        for key, value in self.changes.items():
            if key.startswith(prefix):
                if value is None:
                    merged.pop(key, None)
                else:
                    merged[key] = value
        return iter(sorted(merged.items()))

    def commit_into(self, target) -> None:
        """Write this layer's changes into `target` (a StateUpdate or a StateStore)."""
        for key, value in self.changes.items():
            if value is None:
                target.delete(key)
            else:
                target.set(key, value)
        self.changes = {}

    # ---- typed access ---------------------------------------------------

    def get_account(self, account_id: str) -> Optional[AccountRecord]:
        raw = self.get(account_key(account_id))
        return None if raw is None else AccountRecord.decode(raw)

    def set_account(self, account_id: str, account: AccountRecord) -> None:
        self.set(account_key(account_id), account.encode())

    def get_access_key(self, account_id: str, public_key: bytes) -> Optional[AccessKey]:
        raw = self.get(access_key_key(account_id, public_key))
        return None if raw is None else decode_access_key(raw)

    def set_access_key(self, account_id: str, public_key: bytes, key: AccessKey) -> None:
        self.set(access_key_key(account_id, public_key), encode_access_key(key))

    def delete_access_key(self, account_id: str, public_key: bytes) -> None:
        self.delete(access_key_key(account_id, public_key))

    def access_keys(self, account_id: str) -> list[tuple[bytes, AccessKey]]:
        prefix = access_keys_prefix(account_id)
        return [
            (key[len(prefix):], decode_access_key(value))
            for key, value in self.items_with_prefix(prefix)
        ]

    def get_code(self, account_id: str) -> Optional[bytes]:
        return self.get(code_key(account_id))

    def set_code(self, account_id: str, code: bytes) -> None:
        self.set(code_key(account_id), code)

    def get_data(self, account_id: str, key: bytes) -> Optional[bytes]:
        return self.get(data_key(account_id, key))

    def set_data(self, account_id: str, key: bytes, value: Optional[bytes]) -> None:
        if value is None:
            self.delete(data_key(account_id, key))
        else:
            self.set(data_key(account_id, key), value)

    def data_items(self, account_id: str, prefix: bytes = b"") -> list[tuple[bytes, bytes]]:
        base = data_prefix(account_id)
        return [(key[len(base):], value) for key, value in self.items_with_prefix(base + prefix)]

    def remove_account_entirely(self, account_id: str) -> None:
        """Delete the account with its keys, code and data (DeleteAccount)."""
        self.delete(account_key(account_id))
        self.delete(code_key(account_id))
        for prefix in (access_keys_prefix(account_id), data_prefix(account_id)):
            for key, _ in list(self.items_with_prefix(prefix)):
                self.delete(key)


@dataclass
class BlockJournal:
    """What one block changed: each key's value before the block, and every write with its cause.

    `before` takes a view back from the block's state to its parent's; `writes`
    ((key, new value or None, cause) in order) answers `changes` and `block_effects`.
    """

    before: dict[bytes, Optional[bytes]]
    writes: list[tuple[bytes, Optional[bytes], dict]]


class StateStore:
    """The committed state, remembering what changed since the last save and in the current block.

    `dirty` names the keys to write to disk; `undo` keeps their values from
    before, so an operation that blows up half-way can be taken back whole.
    Every write is also journaled for the block being built, under `cause`
    (nearcore's StateChangeCause of whatever is running).
    """

    def __init__(self, data: Optional[dict[bytes, bytes]] = None):
        self.data: dict[bytes, bytes] = data if data is not None else {}
        self.dirty: set[bytes] = set()
        self.undo: dict[bytes, Optional[bytes]] = {}
        self.cause: dict = {"type": "initial_state"}
        self._journal = BlockJournal({}, [])

    def get(self, key: bytes) -> Optional[bytes]:
        return self.data.get(key)

    def items(self):
        return self.data.items()

    def _remember(self, key: bytes, value: Optional[bytes]) -> None:
        if key not in self.undo:
            self.undo[key] = self.data.get(key)
        if key not in self._journal.before:
            self._journal.before[key] = self.data.get(key)
        self._journal.writes.append((key, value, self.cause))
        self.dirty.add(key)

    def set(self, key: bytes, value: bytes) -> None:
        self._remember(key, value)
        self.data[key] = value

    def delete(self, key: bytes) -> None:
        self._remember(key, None)
        self.data.pop(key, None)

    def take_block_journal(self) -> BlockJournal:
        """The journal of the block just sealed; the next block starts a new one."""
        journal, self._journal = self._journal, BlockJournal({}, [])
        return journal

    def mark_saved(self) -> None:
        self.dirty.clear()
        self.undo.clear()

    def roll_back_unsaved(self) -> None:
        for key, value in self.undo.items():
            if value is None:
                self.data.pop(key, None)
            else:
                self.data[key] = value
        self.mark_saved()
        self._journal = BlockJournal({}, [])

    def update(self) -> StateUpdate:
        return StateUpdate(self)


class StateAt:
    """The committed state as it was after an earlier block: `store` with later blocks' writes undone.

    `journals` are the journals of the blocks after that one, newest first; the
    oldest value a key had before any of them wins.
    """

    def __init__(self, store: StateStore, journals: list[BlockJournal]):
        self._store = store
        self._before: dict[bytes, Optional[bytes]] = {}
        for journal in journals:
            self._before.update(journal.before)

    def get(self, key: bytes) -> Optional[bytes]:
        if key in self._before:
            return self._before[key]
        return self._store.get(key)

    def items(self):
        merged = dict(self._store.items())
        for key, value in self._before.items():
            if value is None:
                merged.pop(key, None)
            else:
                merged[key] = value
        return merged.items()

    def update(self) -> StateUpdate:
        return StateUpdate(self)


class AccountStorageReader:
    """The engine's view of one account's contract data through an overlay."""

    def __init__(self, state: StateUpdate, account_id: str):
        self._state = state
        self._account_id = account_id

    def get(self, key: bytes) -> Optional[bytes]:
        return self._state.get_data(self._account_id, key)
