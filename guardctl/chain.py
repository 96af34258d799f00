"""guardctl's connection to a NEAR network: views, account queries and signed
transactions, all through py-near over JSON-RPC.

py-near raises its own exception types and returns failed transactions as
ordinary results; this module turns both into `GuardctlError`s with readable
text, and summarises outcomes (gas, fees, logs, return value) for printing.
"""
from __future__ import annotations

import base64
import hashlib
import json
from dataclasses import dataclass, field
from typing import Optional, Sequence

import aiohttp
import base58
from loguru import logger
from py_near import transactions
from py_near.account import Account, ViewFunctionError
from py_near.exceptions.exceptions import RpcEmptyResponse, RpcNotAvailableError
from py_near.exceptions.provider import JsonProviderError

from .amounts import GAS_PER_TGAS
from .credentials import Identity
from .errors import ChainFailure, GuardctlError, describe_failure, describe_rpc_error, one_line

# py-near logs every failed RPC attempt through loguru to stderr; guardctl
# reports failures itself, in one line.
logger.disable("py_near")

NO_CODE_HASH = "11111111111111111111111111111111"
DEFAULT_GAS = 300 * GAS_PER_TGAS
DEFAULT_RPC_TIMEOUT_S = 120.0

# chain_id each public network reports in `status`; localnet and near-sandbox
# report their own names, so only the public networks are checked strictly.
PUBLIC_CHAIN_IDS = ("mainnet", "testnet")


@dataclass
class TxReport:
    """What a committed transaction did, in the units people read."""

    hash: str
    signer_id: str
    receiver_id: str
    gas_burnt: int
    tokens_burnt: int
    logs: list[str] = field(default_factory=list)
    return_value: Optional[bytes] = None
    receipts: list[dict] = field(default_factory=list)  # [{"receipt_id", "gas_burnt"}]

    def return_json(self):
        if not self.return_value:
            return None
        try:
            return json.loads(self.return_value)
        except (ValueError, UnicodeDecodeError):
            return None

    def as_json(self) -> dict:
        return {"hash": self.hash, "signer_id": self.signer_id, "receiver_id": self.receiver_id,
                "gas_burnt": self.gas_burnt, "tokens_burnt": str(self.tokens_burnt),
                "logs": self.logs, "receipts": self.receipts, "return_value": self.return_json()}


def _report(result) -> TxReport:
    """TxReport from py-near's TransactionResult; ChainFailure if anything failed."""
    outcomes = [result.transaction_outcome, *result.receipt_outcome]
    failure = result.status.get("Failure") if isinstance(result.status, dict) else None
    if failure is None:
        # A failed receipt the final status does not show (e.g. a callback).
        failure = next((o.status["Failure"] for o in result.receipt_outcome
                        if isinstance(o.status, dict) and "Failure" in o.status), None)
    if failure is not None:
        raise ChainFailure(f"{describe_failure(failure)} (transaction {result.transaction.hash})")
    value = result.status.get("SuccessValue") if isinstance(result.status, dict) else None
    receipts = [{"receipt_id": o.receipt_id, "gas_burnt": o.gas_burnt}
                for o in result.receipt_outcome]
    return TxReport(
        hash=result.transaction.hash,
        signer_id=result.transaction.signer_id,
        receiver_id=result.transaction.receiver_id,
        gas_burnt=sum(o.gas_burnt for o in outcomes),
        tokens_burnt=sum(int(o.tokens_burnt) for o in outcomes),
        logs=[line for o in outcomes for line in o.logs],
        return_value=base64.b64decode(value) if value else None,
        receipts=receipts,
    )


def code_hash_of(wasm: bytes) -> str:
    """The base58 sha256 NEAR shows as an account's `code_hash`."""
    return base58.b58encode(hashlib.sha256(wasm).digest()).decode()


class Chain:
    """One RPC endpoint. Use as `async with Chain(...) as chain:`."""

    def __init__(self, rpc_url: str, network: str, timeout: float = DEFAULT_RPC_TIMEOUT_S):
        self.rpc_url = rpc_url
        self.network = network
        self.timeout = timeout
        self.chain_id: Optional[str] = None
        self._storage_byte_cost: Optional[int] = None
        self._viewer = self._account(None, None)
        self._signers: dict[str, Account] = {}

    def _account(self, account_id, secret) -> Account:
        account = Account(account_id, secret, self.rpc_url)
        account.provider.timeout = self.timeout  # read when the provider opens its HTTP session
        return account

    async def __aenter__(self) -> "Chain":
        try:
            await self.connect()
        except BaseException:
            await self.close()  # __aexit__ does not run when __aenter__ fails
            raise
        return self

    async def __aexit__(self, *exc_info) -> None:
        await self.close()

    def _unreachable(self, detail: str = "") -> GuardctlError:
        hint = " (is the node running?)" if self.network in ("localnet", "sandbox") else ""
        return GuardctlError(f"cannot reach the NEAR RPC at {self.rpc_url}{hint}{': ' + detail if detail else ''}")

    async def connect(self) -> dict:
        """Check the endpoint answers and serves the network the user named."""
        try:
            status = await self._viewer.provider.get_status()
        except (RpcNotAvailableError, aiohttp.ClientError, OSError):
            raise self._unreachable() from None
        self.chain_id = status.get("chain_id")
        expected = self.network if self.network in PUBLIC_CHAIN_IDS else None
        if expected and self.chain_id != expected:
            raise GuardctlError(f"the RPC at {self.rpc_url} serves chain {self.chain_id!r}, not {expected} "
                                f"(check --network / --rpc)")
        if not expected and self.chain_id in PUBLIC_CHAIN_IDS:
            raise GuardctlError(f"the RPC at {self.rpc_url} serves {self.chain_id}, but --network is {self.network}; "
                                f"pass --network {self.chain_id} to act on {self.chain_id}")
        return status

    async def close(self) -> None:
        # py-near's shutdown() fails on a provider that never opened its HTTP
        # session, so only opened ones are shut down.
        for account in [self._viewer, *self._signers.values()]:
            provider = account.provider
            client = getattr(provider, "_client", None)
            if client is not None and not client.closed:
                await provider.shutdown()

    # --- reads -------------------------------------------------------------

    async def _rpc(self, coroutine, what: str):
        try:
            return await coroutine
        except JsonProviderError as err:
            raise GuardctlError(f"{what}: {describe_rpc_error(err.error_json) if err.error_json else one_line(err)}") from None
        except (RpcEmptyResponse, RpcNotAvailableError, aiohttp.ClientError, OSError):
            raise self._unreachable() from None

    async def rpc(self, method: str, params, what: str):
        return await self._rpc(self._viewer.provider.json_rpc(method, params), what)

    async def view_account(self, account_id: str) -> dict:
        return await self._rpc(self._viewer.provider.get_account(account_id), f"cannot read {account_id}")

    async def view_code(self, account_id: str) -> bytes:
        result = await self.rpc("query", {"request_type": "view_code", "finality": "optimistic", "account_id": account_id},
                                f"cannot read {account_id}'s code")
        return base64.b64decode(result["code_base64"])

    async def view_state(self, account_id: str) -> list[tuple[bytes, bytes]]:
        """Every storage record of a contract account, as (key, value) bytes."""
        result = await self.rpc("query", {"request_type": "view_state", "finality": "optimistic", "account_id": account_id,
                                          "prefix_base64": ""}, f"cannot read {account_id}'s storage")
        return [(base64.b64decode(item["key"]), base64.b64decode(item["value"])) for item in result["values"]]

    async def access_keys(self, account_id: str) -> list[dict]:
        """The account's access keys as the RPC lists them ({"public_key", "access_key"})."""
        result = await self.rpc("query", {"request_type": "view_access_key_list", "finality": "optimistic",
                                          "account_id": account_id}, f"cannot read {account_id}'s access keys")
        return result["keys"]

    async def account_exists(self, account_id: str) -> bool:
        try:
            await self._viewer.provider.get_account(account_id)
            return True
        except JsonProviderError as err:
            cause = (err.error_json or {}).get("cause", {}).get("name")
            if cause == "UNKNOWN_ACCOUNT":
                return False
            raise GuardctlError(f"cannot read {account_id}: {describe_rpc_error(err.error_json)}") from None
        except (RpcEmptyResponse, RpcNotAvailableError, aiohttp.ClientError, OSError):
            raise self._unreachable() from None

    async def view(self, contract_id: str, method: str, args: Optional[dict] = None):
        """A contract view's JSON result; a panicking view is a GuardctlError."""
        try:
            result = await self._rpc(self._viewer.view_function(contract_id, method, args or {}),
                                     f"view {contract_id}.{method}")
        except ViewFunctionError as err:
            text = one_line(err).removeprefix("wasm execution failed with error: ")
            raise GuardctlError(f"view {contract_id}.{method} failed: {text}") from None
        except ValueError:  # the result was not JSON
            raise GuardctlError(f"view {contract_id}.{method} returned something that is not JSON") from None
        return result.result

    async def available_balance(self, account_id: str) -> int:
        """Balance the account can spend: its amount less what its storage must keep."""
        state = await self.view_account(account_id)
        return int(state["amount"]) - int(state["storage_usage"]) * await self.storage_byte_cost()

    async def storage_byte_cost(self) -> int:
        """The network's storage staking price in yoctoNEAR per byte (its protocol config), read once."""
        if self._storage_byte_cost is None:
            config = await self.rpc("EXPERIMENTAL_protocol_config", {"finality": "optimistic"},
                                    "cannot read the network's protocol config")
            try:
                self._storage_byte_cost = int(config["runtime_config"]["storage_amount_per_byte"])
            except (KeyError, TypeError, ValueError):
                raise GuardctlError("the network's protocol config has no runtime_config.storage_amount_per_byte") from None
        return self._storage_byte_cost

    async def gas_price(self) -> int:
        result = await self.rpc("gas_price", [None], "cannot read the gas price")
        return int(result["gas_price"])

    async def block_time(self) -> int:
        """The latest block's timestamp in unix seconds: the clock the guard uses."""
        block = await self.rpc("block", {"finality": "optimistic"}, "cannot read the latest block")
        return int(block["header"]["timestamp"]) // 1_000_000_000

    # --- transactions --------------------------------------------------------

    async def _signer(self, identity: Identity) -> Account:
        key = f"{identity.account_id} {identity.public_key}"
        if key not in self._signers:
            self._signers[key] = self._account(identity.account_id, identity.secret_key)
        return self._signers[key]

    async def check_signer(self, identity: Identity) -> None:
        """Fail early, with a clear message, when the account or its key is missing."""
        if not await self.account_exists(identity.account_id):
            raise GuardctlError(f"account {identity.account_id} does not exist on {self.network}")
        try:
            found = await self._viewer.provider.get_access_key(identity.account_id, identity.public_key)
            # nearcore answers an unknown key with a *result* carrying "error"
            # (newer versions with an UNKNOWN_ACCESS_KEY error): both mean missing.
            missing = isinstance(found, dict) and "error" in found
        except JsonProviderError:
            missing = True
        except (RpcEmptyResponse, RpcNotAvailableError, aiohttp.ClientError, OSError):
            raise self._unreachable() from None
        if missing:
            raise GuardctlError(f"the key from {identity.source} ({identity.public_key}) is not an access key "
                                f"of {identity.account_id} on {self.network}")

    async def transact(self, identity: Identity, receiver_id: str, actions: Sequence, what: str) -> TxReport:
        """Sign, send and wait for one transaction; ChainFailure if it failed on-chain."""
        signer = await self._signer(identity)
        try:
            result = await signer.sign_and_submit_tx(receiver_id, list(actions))
        except JsonProviderError as err:
            detail = describe_rpc_error(err.error_json) if err.error_json else one_line(err)
            raise GuardctlError(f"{what}: {detail}") from None
        except (RpcEmptyResponse, RpcNotAvailableError, aiohttp.ClientError, OSError):
            raise self._unreachable() from None
        try:
            return _report(result)
        except ChainFailure as failure:
            raise ChainFailure(f"{what} failed: {failure}") from None

    async def call(self, identity: Identity, contract_id: str, method: str, args, *,
                   gas: int = DEFAULT_GAS, deposit: int = 0) -> TxReport:
        """A function call; `args` is a JSON-able value, or raw bytes sent as they are."""
        raw = args if isinstance(args, (bytes, bytearray)) else json.dumps(args).encode()
        action = transactions.create_function_call_action(method, bytes(raw), gas, deposit)
        return await self.transact(identity, contract_id, [action], f"{method} on {contract_id}")
