"""The chain layer of localnet: accounts, transactions → receipts → outcomes, blocks, persistence.

`Chain` is the public entry point; the RPC layer puts its views (nearcore's
view structs as JSON-ready dicts) into responses, adds the node's own fields,
and maps its errors onto NEAR's error envelope.

The modules follow nearcore's split:

- `chain.py` -- blocks, finality, history and the transaction pool (chain/chain, chain/client);
- `verifier.py` -- transaction checks and charging, action limits (runtime/runtime/src/verifier.rs);
- `actions.py` -- what each action does (runtime/runtime/src/actions.rs);
- `runtime.py` -- applying an action receipt, refunds (runtime/runtime/src/lib.rs);
- `receipts.py` -- receipts and the block context they run in (core/primitives/src/receipt.rs);
- `state_viewer.py` -- views of the state at a block (runtime/runtime/src/state_viewer);
- `state.py`, `records.py` -- the key-value state, sandbox state records;
- `blocks.py`, `merkle.py`, `light_client.py` -- headers and hashes, Merkle trees, light-client views and proofs;
- `views.py`, `protocol.py` -- outcome, receipt and config views; `persistence.py` -- SQLite;
- `producer.py` -- the block clock.
"""
from .chain import Chain, ChainSnapshot
from .errors import ChainError, ContractError, InvalidTransaction
from .keys import KeyPair, parse_public_key, public_key_text
from .results import TxResult

__all__ = [
    "Chain",
    "ChainSnapshot",
    "ChainError",
    "ContractError",
    "InvalidTransaction",
    "KeyPair",
    "TxResult",
    "parse_public_key",
    "public_key_text",
]
