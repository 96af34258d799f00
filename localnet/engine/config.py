"""Gas prices and limits of NEAR protocol version 78 (what near-sandbox 2.6.x runs).

The numbers come from nearcore's parameter snapshot for protocol 78.  Names
follow nearcore's `ExtCosts` / `ActionCosts`, upper-cased the way the RPC's
`gas_profile` spells them, so a profile produced here reads like a real one.
"""
from __future__ import annotations

from dataclasses import dataclass, field

U64_MAX = 2**64 - 1


@dataclass(frozen=True)
class Fee:
    """An action fee: what the sender burns (same shard or not) and what execution costs."""

    send_sir: int
    send_not_sir: int
    execution: int

    def send(self, sender_is_receiver: bool) -> int:
        return self.send_sir if sender_is_receiver else self.send_not_sir


def _same(gas: int) -> Fee:
    return Fee(gas, gas, gas)


EXT_COSTS_V78: dict[str, int] = {
    "BASE": 264_768_111,
    "CONTRACT_LOADING_BASE": 35_445_963,
    "CONTRACT_LOADING_BYTES": 1_089_295,
    "READ_MEMORY_BASE": 2_609_863_200,
    "READ_MEMORY_BYTE": 3_801_333,
    "WRITE_MEMORY_BASE": 2_803_794_861,
    "WRITE_MEMORY_BYTE": 2_723_772,
    "READ_REGISTER_BASE": 2_517_165_186,
    "READ_REGISTER_BYTE": 98_562,
    "WRITE_REGISTER_BASE": 2_865_522_486,
    "WRITE_REGISTER_BYTE": 3_801_564,
    "UTF8_DECODING_BASE": 3_111_779_061,
    "UTF8_DECODING_BYTE": 291_580_479,
    "UTF16_DECODING_BASE": 3_543_313_050,
    "UTF16_DECODING_BYTE": 163_577_493,
    "SHA256_BASE": 4_540_970_250,
    "SHA256_BYTE": 24_117_351,
    "KECCAK256_BASE": 5_879_491_275,
    "KECCAK256_BYTE": 21_471_105,
    "KECCAK512_BASE": 5_811_388_236,
    "KECCAK512_BYTE": 36_649_701,
    "RIPEMD160_BASE": 853_675_086,
    "RIPEMD160_BLOCK": 680_107_584,
    "ED25519_VERIFY_BASE": 210_000_000_000,
    "ED25519_VERIFY_BYTE": 9_000_000,
    "ECRECOVER_BASE": 278_821_988_457,
    "LOG_BASE": 3_543_313_050,
    "LOG_BYTE": 13_198_791,
    "STORAGE_WRITE_BASE": 64_196_736_000,
    "STORAGE_WRITE_KEY_BYTE": 70_482_867,
    "STORAGE_WRITE_VALUE_BYTE": 31_018_539,
    "STORAGE_WRITE_EVICTED_BYTE": 32_117_307,
    "STORAGE_READ_BASE": 56_356_845_749,
    "STORAGE_READ_KEY_BYTE": 30_952_533,
    "STORAGE_READ_VALUE_BYTE": 5_611_004,
    "STORAGE_LARGE_READ_OVERHEAD_BASE": 1,
    "STORAGE_LARGE_READ_OVERHEAD_BYTE": 1,
    "STORAGE_REMOVE_BASE": 53_473_030_500,
    "STORAGE_REMOVE_KEY_BYTE": 38_220_384,
    "STORAGE_REMOVE_RET_VALUE_BYTE": 11_531_556,
    "STORAGE_HAS_KEY_BASE": 54_039_896_625,
    "STORAGE_HAS_KEY_BYTE": 30_790_845,
    "TOUCHING_TRIE_NODE": 16_101_955_926,
    "READ_CACHED_TRIE_NODE": 2_280_000_000,
    "PROMISE_AND_BASE": 1_465_013_400,
    "PROMISE_AND_PER_PROMISE": 5_452_176,
    "PROMISE_RETURN": 560_152_386,
    "VALIDATOR_STAKE_BASE": 911_834_726_400,
    "VALIDATOR_TOTAL_STAKE_BASE": 911_834_726_400,
}

ACTION_FEES_V78: dict[str, Fee] = {
    "NEW_ACTION_RECEIPT": _same(108_059_500_000),
    "NEW_DATA_RECEIPT_BASE": _same(36_486_732_312),
    "NEW_DATA_RECEIPT_BYTE": Fee(17_212_011, 47_683_715, 17_212_011),
    "CREATE_ACCOUNT": _same(3_850_000_000_000),
    "DEPLOY_CONTRACT_BASE": _same(184_765_750_000),
    "DEPLOY_CONTRACT_BYTE": Fee(6_812_999, 47_683_715, 64_572_944),
    "FUNCTION_CALL_BASE": Fee(200_000_000_000, 200_000_000_000, 780_000_000_000),
    "FUNCTION_CALL_BYTE": Fee(2_235_934, 47_683_715, 2_235_934),
    "TRANSFER": _same(115_123_062_500),
    "STAKE": Fee(141_715_687_500, 141_715_687_500, 102_217_625_000),
    "ADD_FULL_ACCESS_KEY": _same(101_765_125_000),
    "ADD_FUNCTION_CALL_KEY_BASE": _same(102_217_625_000),
    "ADD_FUNCTION_CALL_KEY_BYTE": Fee(1_925_331, 47_683_715, 1_925_331),
    "DELETE_KEY": _same(94_946_625_000),
    "DELETE_ACCOUNT": _same(147_489_000_000),
}

# Profile entries under these names are action fees (RPC category ACTION_COST);
# every other name is a host cost (WASM_HOST_COST).
ACTION_COST_NAMES = frozenset(ACTION_FEES_V78)


@dataclass(frozen=True)
class LimitConfig:
    max_gas_burnt: int = 300_000_000_000_000
    max_total_prepaid_gas: int = 300_000_000_000_000
    initial_memory_pages: int = 1024
    max_memory_pages: int = 2048
    registers_memory_limit: int = 1_073_741_824
    max_register_size: int = 104_857_600
    max_number_registers: int = 100
    max_number_logs: int = 100
    max_total_log_length: int = 16_384
    max_actions_per_receipt: int = 100
    max_number_bytes_method_names: int = 2000
    max_length_method_name: int = 256
    max_arguments_length: int = 4_194_304
    max_length_returned_data: int = 4_194_304
    max_contract_size: int = 4_194_304
    max_length_storage_key: int = 2048
    max_length_storage_value: int = 4_194_304
    max_promises_per_function_call_action: int = 1024
    max_number_input_data_dependencies: int = 128
    max_functions_number_per_contract: int = 10_000
    max_locals_per_contract: int = 1_000_000
    max_tables_per_contract: int = 1
    max_elements_per_contract_table: int = 10_000


@dataclass(frozen=True)
class RuntimeConfig:
    regular_op_cost: int = 822_756
    ext_costs: dict[str, int] = field(default_factory=lambda: dict(EXT_COSTS_V78))
    action_fees: dict[str, Fee] = field(default_factory=lambda: dict(ACTION_FEES_V78))
    limits: LimitConfig = field(default_factory=LimitConfig)
    num_extra_bytes_record: int = 40
    # Protocol 78 charges the loading fee after preparation, so failures to
    # compile or to resolve the method cost nothing (fix_contract_loading_cost=false).
    fix_contract_loading_cost: bool = False
    # Transfers to implicit accounts also pay for creating them (protocol 78 flags).
    implicit_account_creation: bool = True
    eth_implicit_accounts: bool = True
    # Storage writes and removes walk the state trie in nearcore and pay per
    # node; reads go through flat storage and pay none.  The node keeps no
    # trie, so it charges what near-sandbox charged for a write on its small
    # state (a counter increment: 3 TOUCHING_TRIE_NODE + 1 READ_CACHED_TRIE_NODE),
    # and only cached-node reads when the same key is touched again in the call.
    # Set to (0, 0) to leave trie costs out.
    trie_nodes_per_write: tuple[int, int] = (3, 1)  # (touched, cached)


DEFAULT_CONFIG = RuntimeConfig()
