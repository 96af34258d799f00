"""The node's configuration as nearcore's RPC shows it: protocol, genesis and client config, validators.

Every number comes from the tables the node charges with (`localnet.engine.config`
for gas, `localnet.chain.config` for economics), so a client that reads the
storage price or a fee from `EXPERIMENTAL_protocol_config` reads what this
node will actually charge.  Shapes follow nearcore 2.6 (protocol 78):
`RuntimeConfigView`, `GenesisConfig`, `ClientConfig`, `EpochValidatorInfo`.
Host functions the node does not implement (alt_bn128, BLS, yield/resume)
have no entry in `ext_costs`.
"""
from __future__ import annotations

import dataclasses

from ..engine.config import DEFAULT_CONFIG as ENGINE_CONFIG
from ..engine.config import Fee
from ..chain import config

# nearcore's localnet genesis defaults for the parts of consensus a one-validator node never exercises.
NUM_BLOCK_PRODUCER_SEATS = 1
PROTOCOL_REWARD_RATE = [1, 10]
MAX_INFLATION_RATE = [1, 20]
NUM_BLOCKS_PER_YEAR = 31_536_000
FISHERMEN_THRESHOLD = 10 * 10**24
MAX_GAS_PRICE = 10**22
# The gas price never moves on this node: an adjustment rate of 0.
GAS_PRICE_ADJUSTMENT_RATE = [0, 1]
PESSIMISTIC_GAS_PRICE_INFLATION_RATIO = [103, 100]
SHARD_LAYOUT = {"V0": {"num_shards": 1, "version": 0}}


def fee_view(fee: Fee) -> dict:
    return {"send_sir": fee.send_sir, "send_not_sir": fee.send_not_sir, "execution": fee.execution}


def _fee(name: str) -> dict:
    return fee_view(config.fee(name))


def runtime_config_view() -> dict:
    """nearcore's RuntimeConfigView with the values this node charges."""
    limits = dataclasses.asdict(ENGINE_CONFIG.limits)
    limits["max_transaction_size"] = config.MAX_TRANSACTION_SIZE
    return {
        "storage_amount_per_byte": str(config.STORAGE_AMOUNT_PER_BYTE),
        "transaction_costs": {
            "action_receipt_creation_config": _fee("NEW_ACTION_RECEIPT"),
            "data_receipt_creation_config": {
                "base_cost": _fee("NEW_DATA_RECEIPT_BASE"),
                "cost_per_byte": _fee("NEW_DATA_RECEIPT_BYTE"),
            },
            "action_creation_config": {
                "create_account_cost": _fee("CREATE_ACCOUNT"),
                "deploy_contract_cost": _fee("DEPLOY_CONTRACT_BASE"),
                "deploy_contract_cost_per_byte": _fee("DEPLOY_CONTRACT_BYTE"),
                "function_call_cost": _fee("FUNCTION_CALL_BASE"),
                "function_call_cost_per_byte": _fee("FUNCTION_CALL_BYTE"),
                "transfer_cost": _fee("TRANSFER"),
                "stake_cost": _fee("STAKE"),
                "add_key_cost": {
                    "full_access_cost": _fee("ADD_FULL_ACCESS_KEY"),
                    "function_call_cost": _fee("ADD_FUNCTION_CALL_KEY_BASE"),
                    "function_call_cost_per_byte": _fee("ADD_FUNCTION_CALL_KEY_BYTE"),
                },
                "delete_key_cost": _fee("DELETE_KEY"),
                "delete_account_cost": _fee("DELETE_ACCOUNT"),
                "delegate_cost": _fee("DELEGATE"),
            },
            "storage_usage_config": {
                "num_bytes_account": config.STORAGE_NUM_BYTES_ACCOUNT,
                "num_extra_bytes_record": config.STORAGE_NUM_EXTRA_BYTES_RECORD,
            },
            "burnt_gas_reward": list(config.BURNT_GAS_REWARD),
            "pessimistic_gas_price_inflation_ratio": PESSIMISTIC_GAS_PRICE_INFLATION_RATIO,
        },
        "wasm_config": {
            "ext_costs": {name.lower(): gas for name, gas in ENGINE_CONFIG.ext_costs.items()},
            "grow_mem_cost": 1,
            "regular_op_cost": ENGINE_CONFIG.regular_op_cost,
            "vm_kind": "Wasmtime",
            "discard_custom_sections": True,
            "storage_get_mode": "FlatStorage",
            "fix_contract_loading_cost": ENGINE_CONFIG.fix_contract_loading_cost,
            "implicit_account_creation": ENGINE_CONFIG.implicit_account_creation,
            "eth_implicit_accounts": ENGINE_CONFIG.eth_implicit_accounts,
            "limit_config": limits,
        },
        "account_creation_config": {
            "min_allowed_top_level_account_length": config.MIN_ALLOWED_TOP_LEVEL_ACCOUNT_LENGTH,
            "registrar_account_id": config.REGISTRAR_ACCOUNT_ID,
        },
    }


def _shared_genesis_fields(chain_id: str, genesis_time: str) -> dict:
    """The fields nearcore's GenesisConfig and protocol config views have in common."""
    return {
        "protocol_version": config.PROTOCOL_VERSION,
        "genesis_time": genesis_time,
        "chain_id": chain_id,
        "genesis_height": 0,
        "num_block_producer_seats": NUM_BLOCK_PRODUCER_SEATS,
        "dynamic_resharding": False,
        "protocol_upgrade_stake_threshold": [4, 5],
        "epoch_length": config.EPOCH_LENGTH,
        "gas_limit": config.CHUNK_GAS_LIMIT,
        "min_gas_price": str(config.GAS_PRICE),
        "max_gas_price": str(MAX_GAS_PRICE),
        "block_producer_kickout_threshold": 90,
        "chunk_producer_kickout_threshold": 90,
        "chunk_validator_only_kickout_threshold": 80,
        "online_min_threshold": [9, 10],
        "online_max_threshold": [99, 100],
        "gas_price_adjustment_rate": GAS_PRICE_ADJUSTMENT_RATE,
        "transaction_validity_period": config.TRANSACTION_VALIDITY_PERIOD,
        "protocol_reward_rate": PROTOCOL_REWARD_RATE,
        "max_inflation_rate": MAX_INFLATION_RATE,
        "num_blocks_per_year": NUM_BLOCKS_PER_YEAR,
        "protocol_treasury_account": "near",
        "fishermen_threshold": str(FISHERMEN_THRESHOLD),
        "minimum_stake_divisor": 10,
        "shard_layout": SHARD_LAYOUT,
        "minimum_validators_per_shard": 1,
        "max_kickout_stake_perc": 100,
        "minimum_stake_ratio": [1, 6250],
        "target_validator_mandates_per_shard": 68,
        "shuffle_shard_assignment_for_chunk_producers": False,
    }


def protocol_config_view(chain_id: str, genesis_time: str) -> dict:
    """EXPERIMENTAL_protocol_config's result."""
    return {**_shared_genesis_fields(chain_id, genesis_time), "runtime_config": runtime_config_view()}


def genesis_config_view(chain_id: str, genesis_time: str, total_supply: int, validator: dict) -> dict:
    """EXPERIMENTAL_genesis_config's result; `validator` is {account_id, public_key, amount}."""
    return {
        **_shared_genesis_fields(chain_id, genesis_time),
        "validators": [validator],
        "total_supply": str(total_supply),
        "minimum_validators_per_shard": 1,
        "use_production_config": False,
    }


def duration_text(seconds: float) -> str:
    """A duration as nearcore's client config prints one (Rust's Debug of `Duration`)."""
    if seconds >= 1:
        return f"{seconds:g}s"
    return f"{seconds * 1000:g}ms"


def client_config_view(chain_id: str, rpc_addr: str, min_block_time: float, block_time: float,
                       history_blocks: int) -> dict:
    """client_config's result: the settings of this node that nearcore's ClientConfig names."""
    return {
        "version": dict(config.NODE_VERSION),
        "chain_id": chain_id,
        "rpc_addr": rpc_addr or None,
        "archive": False,
        "epoch_length": config.EPOCH_LENGTH,
        "num_block_producer_seats": NUM_BLOCK_PRODUCER_SEATS,
        "min_block_production_delay": duration_text(min_block_time),
        "max_block_production_delay": duration_text(block_time),
        "max_block_wait_delay": duration_text(block_time),
        "produce_empty_blocks": True,
        "max_gas_burnt_view": config.MAX_GAS_BURNT_VIEW,
        "tracked_shards_config": "AllShards",
        "save_trie_changes": False,
        "save_tx_outcomes": True,
        "gc": {
            "gc_blocks_limit": history_blocks,
            "gc_fork_clean_step": 100,
            "gc_num_epochs_to_keep": max(1, history_blocks // config.EPOCH_LENGTH),
            "gc_step_period": {"secs": 0, "nanos": 500_000_000},
        },
        "transaction_pool_size_limit": None,
        "view_client_threads": 1,
    }
