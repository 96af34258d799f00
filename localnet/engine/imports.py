"""The `env` imports nearcore links for protocol 78, with their Wasm signatures.

Every NEAR host function takes and returns u64 (Wasm i64), except `abort`
(four u32), the legacy `gas` counter (one u32) and `promise_yield_resume`
(returns u32).  A contract may import any of these; one that imports anything
else fails to link, as on chain.
"""
from __future__ import annotations

I32, I64 = "i32", "i64"


def _u64(params: int, returns: bool = False) -> tuple[tuple[str, ...], tuple[str, ...]]:
    return (I64,) * params, ((I64,) if returns else ())


NEAR_IMPORTS: dict[str, tuple[tuple[str, ...], tuple[str, ...]]] = {
    # registers
    "read_register": _u64(2),
    "register_len": _u64(1, True),
    "write_register": _u64(3),
    # context
    "current_account_id": _u64(1),
    "signer_account_id": _u64(1),
    "signer_account_pk": _u64(1),
    "predecessor_account_id": _u64(1),
    "input": _u64(1),
    "block_index": _u64(0, True),
    "block_timestamp": _u64(0, True),
    "epoch_height": _u64(0, True),
    "storage_usage": _u64(0, True),
    # economics
    "account_balance": _u64(1),
    "account_locked_balance": _u64(1),
    "attached_deposit": _u64(1),
    "prepaid_gas": _u64(0, True),
    "used_gas": _u64(0, True),
    # math
    "random_seed": _u64(1),
    "sha256": _u64(3),
    "keccak256": _u64(3),
    "keccak512": _u64(3),
    "ed25519_verify": _u64(6, True),
    "ripemd160": _u64(3),
    "ecrecover": _u64(7, True),
    # miscellaneous
    "value_return": _u64(2),
    "panic": _u64(0),
    "panic_utf8": _u64(2),
    "log_utf8": _u64(2),
    "log_utf16": _u64(2),
    "abort": ((I32, I32, I32, I32), ()),
    # promises
    "promise_create": _u64(8, True),
    "promise_then": _u64(9, True),
    "promise_and": _u64(2, True),
    "promise_batch_create": _u64(2, True),
    "promise_batch_then": _u64(3, True),
    "promise_batch_action_create_account": _u64(1),
    "promise_batch_action_deploy_contract": _u64(3),
    "promise_batch_action_function_call": _u64(7),
    "promise_batch_action_function_call_weight": _u64(8),
    "promise_batch_action_transfer": _u64(2),
    "promise_batch_action_stake": _u64(4),
    "promise_batch_action_add_key_with_full_access": _u64(4),
    "promise_batch_action_add_key_with_function_call": _u64(9),
    "promise_batch_action_delete_key": _u64(3),
    "promise_batch_action_delete_account": _u64(3),
    "promise_batch_action_deploy_global_contract": _u64(3),
    "promise_batch_action_deploy_global_contract_by_account_id": _u64(3),
    "promise_batch_action_use_global_contract": _u64(3),
    "promise_batch_action_use_global_contract_by_account_id": _u64(3),
    "promise_yield_create": _u64(7, True),
    "promise_yield_resume": ((I64,) * 4, (I32,)),
    "promise_results_count": _u64(0, True),
    "promise_result": _u64(2, True),
    "promise_return": _u64(1),
    # storage
    "storage_write": _u64(5, True),
    "storage_read": _u64(3, True),
    "storage_remove": _u64(3, True),
    "storage_has_key": _u64(2, True),
    "storage_iter_prefix": _u64(2, True),
    "storage_iter_range": _u64(4, True),
    "storage_iter_next": _u64(3, True),
    # legacy injected gas counter, still linkable
    "gas": ((I32,), ()),
    # validators
    "validator_stake": _u64(3),
    "validator_total_stake": _u64(1),
    # curves
    "alt_bn128_g1_multiexp": _u64(3),
    "alt_bn128_g1_sum": _u64(3),
    "alt_bn128_pairing_check": _u64(2, True),
    "bls12381_p1_sum": _u64(3, True),
    "bls12381_p2_sum": _u64(3, True),
    "bls12381_g1_multiexp": _u64(3, True),
    "bls12381_g2_multiexp": _u64(3, True),
    "bls12381_map_fp_to_g1": _u64(3, True),
    "bls12381_map_fp2_to_g2": _u64(3, True),
    "bls12381_pairing_check": _u64(2, True),
    "bls12381_p1_decompress": _u64(3, True),
    "bls12381_p2_decompress": _u64(3, True),
    # near-sandbox builds nearcore with the "sandbox" feature
    "sandbox_debug_log": _u64(2),
}

# Linked so that contracts importing them load, but calling one fails the call
# with an error naming it: the node does not implement these.
UNIMPLEMENTED_IMPORTS = frozenset(
    {
        "promise_batch_action_deploy_global_contract",
        "promise_batch_action_deploy_global_contract_by_account_id",
        "promise_batch_action_use_global_contract",
        "promise_batch_action_use_global_contract_by_account_id",
        "promise_yield_create",
        "promise_yield_resume",
        "validator_stake",
        "validator_total_stake",
        "alt_bn128_g1_multiexp",
        "alt_bn128_g1_sum",
        "alt_bn128_pairing_check",
        "bls12381_p1_sum",
        "bls12381_p2_sum",
        "bls12381_g1_multiexp",
        "bls12381_g2_multiexp",
        "bls12381_map_fp_to_g1",
        "bls12381_map_fp2_to_g2",
        "bls12381_pairing_check",
        "bls12381_p1_decompress",
        "bls12381_p2_decompress",
    }
)
