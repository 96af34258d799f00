"""The chain layer of localnet: accounts, transactions → receipts → outcomes, blocks, persistence.

`Chain` is the public entry point.  It keeps nearcore's records (blocks,
state and its per-block journals, transaction outcomes and receipts as
nearcore's view structs) and answers state queries; the RPC layer
(`localnet.rpc.views`) builds nearcore's other RPC answers from those
records, adds the node's own fields, and maps the chain's errors onto
NEAR's error envelope.

The modules follow nearcore's split:

- `chain.py` -- blocks, finality, history and the transaction pool (chain/chain, chain/client);
- `genesis.py` -- the genesis state and block;
- `tx_status.py` -- a transaction's TxExecutionStatus and FinalExecutionOutcome;
- `verifier.py` -- transaction checks and charging, action limits (runtime/runtime/src/verifier.rs);
- `actions.py` -- what each action does (runtime/runtime/src/actions.rs);
- `runtime.py` -- applying an action receipt, refunds (runtime/runtime/src/lib.rs);
- `receipts.py` -- receipts and the block context they run in (core/primitives/src/receipt.rs);
- `state_viewer.py` -- views of the state at a block (runtime/runtime/src/state_viewer);
- `state.py`, `records.py` -- the key-value state, sandbox state records;
- `blocks.py`, `merkle.py`, `light_client.py` -- headers and hashes, Merkle trees, light-client blocks and proofs;
- `views.py`, `results.py` -- outcome, transaction, receipt and state-change views (core/primitives/src/views.rs),
  in-process results; `persistence.py` -- SQLite;
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
