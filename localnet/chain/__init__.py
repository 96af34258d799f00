"""The chain layer of localnet: accounts, transactions → receipts → outcomes, blocks, persistence.

`Chain` is the public entry point; the RPC layer puts its JSON-ready dicts
straight into responses and maps its errors onto NEAR's error envelope.
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
