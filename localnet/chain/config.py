"""Economics and limits the chain applies, and the action fees of protocol 78.

Per-action fee numbers live in the engine's config (the engine burns send
fees for the promises a contract creates, so both sides must agree); this
module adds what only the chain uses -- gas price, storage staking, account
creation rules, block timing -- and computes the send/exec fee of an action
the way nearcore's `runtime/src/config.rs` does.
"""
from __future__ import annotations

from ..engine.config import DEFAULT_CONFIG as ENGINE_CONFIG
from ..engine.config import Fee
from ..primitives import (
    AddKey,
    CreateAccount,
    DeleteAccount,
    DeleteKey,
    DeployContract,
    FullAccess,
    FunctionCall,
    SignedDelegate,
    Stake,
    Transfer,
    is_implicit_account_id,
)

GAS_PRICE = 100_000_000  # yocto per gas; localnet's genesis minimum, never changes here
STORAGE_AMOUNT_PER_BYTE = 10**19
STORAGE_NUM_BYTES_ACCOUNT = 100
STORAGE_NUM_EXTRA_BYTES_RECORD = 40
# NEP-448: an account using at most this many bytes needs no balance for its storage.
ZERO_BALANCE_ACCOUNT_STORAGE_LIMIT = 770

MAX_TOTAL_PREPAID_GAS = ENGINE_CONFIG.limits.max_total_prepaid_gas  # 300 Tgas
MAX_GAS_BURNT_VIEW = ENGINE_CONFIG.limits.max_gas_burnt
MAX_TRANSACTION_SIZE = 1_572_864
MAX_ACTIONS_PER_RECEIPT = ENGINE_CONFIG.limits.max_actions_per_receipt
MAX_LENGTH_METHOD_NAME = ENGINE_CONFIG.limits.max_length_method_name
MAX_NUMBER_BYTES_METHOD_NAMES = ENGINE_CONFIG.limits.max_number_bytes_method_names
MAX_ARGUMENTS_LENGTH = ENGINE_CONFIG.limits.max_arguments_length
MAX_CONTRACT_SIZE = ENGINE_CONFIG.limits.max_contract_size
MAX_NUMBER_INPUT_DATA_DEPENDENCIES = ENGINE_CONFIG.limits.max_number_input_data_dependencies

# Account creation (nearcore's AccountCreationConfig): top-level names shorter
# than this may only be created by the registrar, and every valid name is shorter.
MIN_ALLOWED_TOP_LEVEL_ACCOUNT_LENGTH = 65
REGISTRAR_ACCOUNT_ID = "registrar"
SYSTEM_ACCOUNT_ID = "system"

# A key added at height h starts at nonce (h - 1) * this, and a transaction's
# nonce must stay below (its block height) * this.
ACCESS_KEY_NONCE_RANGE_MULTIPLIER = 1_000_000
TRANSACTION_VALIDITY_PERIOD = 100  # blocks
BLOCK_INTERVAL_NS = 1_000_000_000  # one block per second of chain time
EPOCH_LENGTH = 60  # nearcore's localnet default
# How far each finality trails the head on a one-validator chain (doomslug: near-final is the
# parent, final the grandparent).
FINALITY_LAG = {"optimistic": 0, "near-final": 1, "final": 2}
# Share of a function call's burnt gas paid to the contract account (nearcore's burnt_gas_reward).
BURNT_GAS_REWARD = (3, 10)

PROTOCOL_VERSION = 78
NODE_VERSION = {"version": "2.6.5", "build": "localnet", "commit": "localnet", "rustc_version": "none"}
CHUNK_GAS_LIMIT = 1_000_000_000_000_000  # gas per chunk (nearcore's genesis gas_limit)

FEES: dict[str, Fee] = dict(ENGINE_CONFIG.action_fees)
FEES.setdefault("DELEGATE", Fee(200_000_000_000, 200_000_000_000, 200_000_000_000))


def fee(name: str) -> Fee:
    return FEES[name]


def _per_byte(base: str, byte: str, count: int, send: bool, sir: bool) -> int:
    if send:
        return fee(base).send(sir) + fee(byte).send(sir) * count
    return fee(base).execution + fee(byte).execution * count


def _method_names_bytes(permission) -> int:
    # nearcore counts a terminating NUL per method name.
    return sum(len(name.encode()) + 1 for name in permission.method_names)


def _transfer_cost_names(receiver_id: str) -> tuple[str, ...]:
    # A transfer to a NEAR-implicit id may create that account, so it always pays for it.
    if is_implicit_account_id(receiver_id):
        return ("TRANSFER", "CREATE_ACCOUNT", "ADD_FULL_ACCESS_KEY")
    return ("TRANSFER",)


def action_fee_items(action, receiver_id: str, *, send: bool, sir: bool = False) -> list[tuple[str, int]]:
    """The fee of one action as (profile cost name, gas) items, send side or execution side.

    A Delegate's send fee includes its inner actions' send fees (nearcore's
    `total_send_fees`); its exec fee is only the delegate fee itself.
    """

    def one(name: str) -> int:
        return fee(name).send(sir) if send else fee(name).execution

    if isinstance(action, CreateAccount):
        return [("CREATE_ACCOUNT", one("CREATE_ACCOUNT"))]
    if isinstance(action, DeployContract):
        size = len(action.code)
        return [
            ("DEPLOY_CONTRACT_BASE", one("DEPLOY_CONTRACT_BASE")),
            ("DEPLOY_CONTRACT_BYTE", one("DEPLOY_CONTRACT_BYTE") * size),
        ]
    if isinstance(action, FunctionCall):
        size = len(action.method_name.encode()) + len(action.args)
        return [
            ("FUNCTION_CALL_BASE", one("FUNCTION_CALL_BASE")),
            ("FUNCTION_CALL_BYTE", one("FUNCTION_CALL_BYTE") * size),
        ]
    if isinstance(action, Transfer):
        return [(name, one(name)) for name in _transfer_cost_names(receiver_id)]
    if isinstance(action, Stake):
        return [("STAKE", one("STAKE"))]
    if isinstance(action, AddKey):
        permission = action.access_key.permission
        if isinstance(permission, FullAccess):
            return [("ADD_FULL_ACCESS_KEY", one("ADD_FULL_ACCESS_KEY"))]
        return [
            ("ADD_FUNCTION_CALL_KEY_BASE", one("ADD_FUNCTION_CALL_KEY_BASE")),
            ("ADD_FUNCTION_CALL_KEY_BYTE", one("ADD_FUNCTION_CALL_KEY_BYTE") * _method_names_bytes(permission)),
        ]
    if isinstance(action, DeleteKey):
        return [("DELETE_KEY", one("DELETE_KEY"))]
    if isinstance(action, DeleteAccount):
        return [("DELETE_ACCOUNT", one("DELETE_ACCOUNT"))]
    if isinstance(action, SignedDelegate):
        items = [("DELEGATE", one("DELEGATE"))]
        if send:
            inner = action.delegate_action
            items += send_fee_items(inner.actions, inner.receiver_id, sir)
        return items
    raise TypeError(f"unsupported action {type(action).__name__}")


def send_fee_items(actions, receiver_id: str, sir: bool) -> list[tuple[str, int]]:
    items: list[tuple[str, int]] = []
    for action in actions:
        items += action_fee_items(action, receiver_id, send=True, sir=sir)
    return items


def total_send_fees(actions, receiver_id: str, sir: bool) -> int:
    return sum(gas for _, gas in send_fee_items(actions, receiver_id, sir))


def exec_fee(action, receiver_id: str) -> int:
    return sum(gas for _, gas in action_fee_items(action, receiver_id, send=False))


def total_prepaid_send_fees(actions) -> int:
    """Send fees of Delegate inner actions, prepaid at conversion and burnt when the delegate runs."""
    total = 0
    for action in actions:
        if isinstance(action, SignedDelegate):
            inner = action.delegate_action
            total += total_send_fees(inner.actions, inner.receiver_id, inner.sender_id == inner.receiver_id)
    return total


def total_prepaid_exec_fees(actions, receiver_id: str) -> int:
    total = 0
    for action in actions:
        if isinstance(action, SignedDelegate):
            inner = action.delegate_action
            total += total_prepaid_exec_fees(inner.actions, inner.receiver_id)
            total += exec_fee(action, inner.receiver_id) + fee("NEW_ACTION_RECEIPT").execution
        else:
            total += exec_fee(action, receiver_id)
    return total


def total_prepaid_gas(actions) -> int:
    total = 0
    for action in actions:
        if isinstance(action, FunctionCall):
            total += action.gas
        elif isinstance(action, SignedDelegate):
            total += total_prepaid_gas(action.delegate_action.actions)
    return total


def total_deposit(actions) -> int:
    total = 0
    for action in actions:
        if isinstance(action, (FunctionCall, Transfer)):
            total += action.deposit
        elif isinstance(action, SignedDelegate):
            total += total_deposit(action.delegate_action.actions)
    return total


def gas_to_balance(gas: int, gas_price: int = GAS_PRICE) -> int:
    return gas * gas_price
