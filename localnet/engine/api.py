"""The engine's contract with the chain: run one method of one contract.

The engine is stateless between calls.  The chain hands it the code, the
method name, a `VMContext` and read access to the account's committed state;
the engine instantiates the Wasm the way NEAR does, runs the method, meters
gas and returns a `VMOutcome`.  It never mutates chain state itself: the
chain applies `storage_writes`, `balance`, `storage_usage` and `receipts`
only when `error` is None (a failed receipt rolls back its own changes).
"""
from __future__ import annotations

from dataclasses import dataclass, field
from typing import Optional, Protocol

from ..primitives import OutgoingReceipt, PromiseResult, ReturnData


class StorageReader(Protocol):
    def get(self, key: bytes) -> Optional[bytes]: ...


@dataclass(frozen=True)
class VMContext:
    current_account_id: str
    signer_account_id: str
    signer_account_pk: bytes  # Borsh public key: key-type byte + key bytes
    predecessor_account_id: str
    input: bytes
    block_height: int
    block_timestamp: int  # nanoseconds
    epoch_height: int
    account_balance: int  # yocto, attached deposit already credited
    account_locked_balance: int
    storage_usage: int  # bytes, before this call
    attached_deposit: int
    prepaid_gas: int
    random_seed: bytes  # 32 bytes
    view: bool = False  # view calls refuse writes, promises, predecessor, gas
    promise_results: tuple[PromiseResult, ...] = ()
    # Receivers of this receipt's result (callbacks waiting on it): value_return
    # pays for the data receipts they will get.
    output_data_receivers: tuple[str, ...] = ()


@dataclass
class VMError:
    """Why a call failed, in the words NEAR's outcomes use.

    kind: "ExecutionError" (panics, traps, host errors, gas),
          "MethodResolveError" (MethodNotFound, MethodInvalidSignature, MethodEmptyName),
          "CompilationError" (invalid or disallowed Wasm),
          "LinkError" (an import the node does not provide),
          "NewReceiptValidationError" (the call built a receipt NEAR rejects).
    message: e.g. "Smart contract panicked: boom", "Exceeded the prepaid gas.",
             "WebAssembly trap: ...", "MethodResolveError(MethodNotFound)".
             For ExecutionError it is nearcore's Display text, which outcomes
             show as {"FunctionCallError": {"ExecutionError": message}}.
    """

    kind: str
    message: str
    # Rust's `{:?}` of nearcore's FunctionCallError, which view calls report as
    # "wasm execution failed with error: <debug_message>",
    # e.g. 'HostError(GuestPanic { panic_msg: "boom" })'.
    debug_message: str = ""
    # Structured form for outcome JSON where NEAR keeps one: the
    # FunctionCallError body (e.g. {"MethodResolveError": "MethodNotFound"}),
    # or for NewReceiptValidationError the whole ActionError kind.  None when
    # NEAR reports the message as {"ExecutionError": message}.
    data: Optional[dict] = None


@dataclass
class VMOutcome:
    return_data: ReturnData = None
    logs: list[str] = field(default_factory=list)
    burnt_gas: int = 0
    # burnt_gas plus gas prepaid to outgoing receipts (their attached gas and
    # exec fees); the chain refunds prepaid_gas - used_gas to the signer.
    # Equal to burnt_gas when the call failed (its receipts are dropped).
    used_gas: int = 0
    storage_writes: dict[bytes, Optional[bytes]] = field(default_factory=dict)
    storage_usage: int = 0  # after the call
    balance: int = 0  # after deposits attached to outgoing receipts
    receipts: list[OutgoingReceipt] = field(default_factory=list)
    error: Optional[VMError] = None
    gas_profile: dict[str, int] = field(default_factory=dict)  # cost name -> gas
