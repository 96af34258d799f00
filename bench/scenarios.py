"""Gas scenarios for the compiled guard, shared by the benchmark (`python -m bench`)
and the gas-budget tests (tests/guard/test_gas_budgets.py).

Every scenario runs on the in-process localnet, which charges NEAR's gas
schedule (protocol 78), with deterministic keys, tokens and block times, so a
figure only moves when the guard, its runtime or the node's costs change.

The figure is `gas_burnt` of the receipt that executes the method: contract
loading, every Wasm instruction, every host call, and the function call's
execution fee (arguments included) -- not the transaction's conversion fee.
"""
from __future__ import annotations

from dataclasses import dataclass
from typing import Callable, Optional

from devkit import worst_case
from devkit.guard_chain import (
    ALICE,
    OWNER,
    STORAGE_BYTE_COST,
    SUB,
    GuardChain,
    claims,
    ed25519_key,
    eddsa_public,
    router_args,
    rs256_public,
    rsa_key,
    sample_sign_payload,
    sign_token,
    token_of_length,
)

TGAS = 10**12
KB = 1024

# Issue #6's targets; tests/guard/test_gas_budgets.py fails when one is crossed.
WASM_TARGET_KB = 220
VIEW_TARGET_TGAS = 4.0
METADATA_TARGET_TGAS = 3.0  # issue #16
EIGHT_KEYS_KID_FACTOR = 1.1  # 8 keys + kid: at most 1.1x the one-key verify
POLICY_EXTRA_TGAS = 2.0  # a transaction policy may add at most 2 Tgas to the one-key verify


def _one_key() -> list[dict]:
    return [rs256_public(rsa_key(2048, 0), kid="k0")]


def _eight_keys() -> list[dict]:
    return [rs256_public(rsa_key(2048, i), kid=f"k{i}") for i in range(8)]


class Bench:
    """The guard deployed once (one RS256-2048 key); each scenario starts from that state."""

    def __init__(self, wasm: bytes):
        self.wasm = wasm
        self.env = GuardChain(wasm, public_keys=_one_key())
        self._base = self.env.snapshot()

    def fresh(self, keys: Optional[list[dict]] = None) -> GuardChain:
        self.env.restore(self._base)
        if keys is not None:
            self.env.ok(OWNER, "set_public_keys", {"public_keys": keys})
        return self.env

    def measure(self, method: str, args=None, *, expect=None) -> int:
        """gas_burnt of `method`'s receipt, called by ALICE; checks the call succeeded
        (and returned `expect` when given): a benchmark of a failing call is worthless."""
        result = self.env.call(ALICE, method, args)
        assert result.succeeded and not result.receipt_failures, (method, result.status, result.logs)
        if expect is not None:
            assert result.return_value == expect, (method, result.return_value)
        return self.env.method_gas(result)

    def verify(self, private_key, sign_payload: bytes, *, kid: Optional[str], length: Optional[int] = None) -> int:
        token_claims = claims(self.env.now_s, sign_payload)
        if length is None:
            token = sign_token(private_key, token_claims, kid=kid)
        else:
            token = token_of_length(length, private_key, token_claims, kid=kid)
        return self.measure("verify", router_args(token, sign_payload), expect=[True, SUB])


@dataclass(frozen=True)
class Scenario:
    name: str
    title: str
    run: Callable[[Bench], int]
    # Target in Tgas, or a function of the other measurements (name -> gas), or None.
    target: Optional[float | Callable[[dict], float]] = None
    target_text: str = ""

    def target_tgas(self, measured: dict[str, int]) -> Optional[float]:
        if self.target is None:
            return None
        if callable(self.target):
            return self.target(measured)
        return float(self.target)


PAYLOAD = sample_sign_payload()  # a realistic FastAuth transaction (a 1-yocto ft_transfer call)
PAYLOAD_1K = sample_sign_payload(size=1000)


def _verify_rs256_2048(bench: Bench) -> int:
    bench.fresh()
    return bench.verify(rsa_key(2048, 0), PAYLOAD, kid="k0")


def _verify_rs256_2048_1kb(bench: Bench) -> int:
    bench.fresh()
    return bench.verify(rsa_key(2048, 0), PAYLOAD_1K, kid="k0")


def _verify_rs256_2048_max_token(bench: Bench) -> int:
    bench.fresh()
    return bench.verify(rsa_key(2048, 0), PAYLOAD_1K, kid="k0", length=7168)


def _verify_8_keys_kid(bench: Bench) -> int:
    bench.fresh(_eight_keys())
    return bench.verify(rsa_key(2048, 7), PAYLOAD, kid="k7")


def _verify_unpinned_cap_no_kid(bench: Bench) -> int:
    # The most 2048-bit keys a kid-less token is ever tried against (guard_core.keys.MAX_UNPINNED_RS256_WORK).
    bench.fresh(_eight_keys()[:3])
    return bench.verify(rsa_key(2048, 2), PAYLOAD, kid=None)  # every key tried, the right one last


def _verify_rs256_4096(bench: Bench) -> int:
    bench.fresh([rs256_public(rsa_key(4096), kid="big")])
    return bench.verify(rsa_key(4096), PAYLOAD, kid="big")


def _verify_eddsa(bench: Bench) -> int:
    bench.fresh([eddsa_public(ed25519_key(), kid="ed")])
    return bench.verify(ed25519_key(), PAYLOAD, kid="ed")


# A transaction policy that PAYLOAD satisfies, every rule set (contract/guard_core/policy_spec.py):
# verify then decodes sign_payload and checks each rule.
POLICY = {
    "receivers": ["wrap.near", "*.pool.near"],
    "actions": ["FunctionCall", "Transfer"],
    "methods": {"wrap.near": ["ft_transfer", "storage_deposit"], "*.pool.near": ["deposit_and_stake"]},
    "max_deposit_per_action": str(10**24),
    "max_deposit_total": str(10**24),
    "max_gas": str(100 * 10**12),
}


def _verify_rs256_2048_policy(bench: Bench) -> int:
    env = bench.fresh()
    env.ok(OWNER, "set_policy", {"policy": POLICY})
    return bench.verify(rsa_key(2048, 0), PAYLOAD, kid="k0")


WORST_CASE_TGAS = 30.0  # the README's promise for any verify (tests/guard/test_worst_case_gas.py, devkit/worst_case.py)


def _verify_worst_case(bench: Bench) -> int:
    env = bench.fresh()
    setup, case = worst_case.combined_case(env.now_s)
    env.ok(OWNER, "set_public_keys", {"public_keys": setup.keys})
    env.ok(OWNER, "set_policy", {"policy": setup.policy})
    return bench.measure("verify", case.args, expect=[True, SUB])


def _verify_worst_forged(bench: Bench) -> int:
    bench.fresh()
    case = next(case for case in worst_case.argument_cases() if case.name == "sign_payload of floats")
    return bench.measure("verify", case.args, expect=[False, "Invalid signature"])


def _get_public_keys_1(bench: Bench) -> int:
    bench.fresh()
    return bench.measure("get_public_keys", expect=_one_key())


def _get_public_keys_8(bench: Bench) -> int:
    bench.fresh(_eight_keys())
    return bench.measure("get_public_keys", expect=_eight_keys())


def _set_public_keys_8(bench: Bench) -> int:
    env = bench.fresh()
    result = env.ok(OWNER, "set_public_keys", {"public_keys": _eight_keys()})
    assert env.view("get_public_keys") == _eight_keys()
    return env.method_gas(result)


def _owner(bench: Bench) -> int:
    bench.fresh()
    return bench.measure("owner", expect=OWNER)


def _contract_source_metadata(bench: Bench) -> int:
    bench.fresh()
    return bench.measure("contract_source_metadata")


SCENARIOS: list[Scenario] = [
    Scenario("verify_rs256_2048", "verify RS256-2048, 1 key (router args)", _verify_rs256_2048, 12.0),
    Scenario("verify_rs256_2048_1kb", "verify RS256-2048, 1 key, 1,000-byte sign_payload + fatxn",
             _verify_rs256_2048_1kb, 18.0),
    Scenario("verify_rs256_2048_8keys_kid", "verify RS256-2048, 8 keys, token carries kid", _verify_8_keys_kid,
             lambda measured: EIGHT_KEYS_KID_FACTOR * measured["verify_rs256_2048"] / TGAS, "<= 1.1x 1 key"),
    Scenario("verify_rs256_2048_3keys_no_kid", "verify RS256-2048, 3 keys, no kid (right key last)",
             _verify_unpinned_cap_no_kid),
    Scenario("verify_rs256_2048_policy", "verify RS256-2048, 1 key, policy on (every rule)",
             _verify_rs256_2048_policy,
             lambda measured: (measured["verify_rs256_2048"] + POLICY_EXTRA_TGAS * TGAS) / TGAS,
             f"<= 1 key + {POLICY_EXTRA_TGAS:g}"),
    Scenario("verify_rs256_4096", "verify RS256-4096, 1 key", _verify_rs256_4096, 60.0),
    Scenario("verify_eddsa", "verify EdDSA, 1 key", _verify_eddsa, 4.0),
    Scenario("verify_rs256_2048_max_token", "verify RS256-2048, 7168-byte token, 1,000-byte payload",
             _verify_rs256_2048_max_token),
    Scenario("verify_worst_case", "worst case: max policy, 3 kid-less keys, 100 actions, 7,168 B",
             _verify_worst_case, WORST_CASE_TGAS),
    Scenario("verify_worst_forged", "worst forged: 32 KB arguments, sign_payload of floats",
             _verify_worst_forged, WORST_CASE_TGAS),
    Scenario("get_public_keys_1", "get_public_keys, 1 key", _get_public_keys_1, VIEW_TARGET_TGAS),
    Scenario("get_public_keys_8", "get_public_keys, 8 keys", _get_public_keys_8, VIEW_TARGET_TGAS),
    Scenario("set_public_keys_8", "set_public_keys, 8 keys (owner)", _set_public_keys_8),
    Scenario("owner", "owner (view)", _owner, VIEW_TARGET_TGAS),
    Scenario("contract_source_metadata", "contract_source_metadata (NEP-330 view)", _contract_source_metadata,
             METADATA_TARGET_TGAS),
]

SCENARIOS_BY_NAME = {scenario.name: scenario for scenario in SCENARIOS}


def run_scenarios(wasm: bytes, names: Optional[list[str]] = None) -> dict[str, int]:
    """gas_burnt per scenario name, in SCENARIOS order."""
    bench = Bench(wasm)
    wanted = [s for s in SCENARIOS if names is None or s.name in names]
    return {scenario.name: scenario.run(bench) for scenario in wanted}


def storage_lock_yocto(code_size: int) -> int:
    """NEAR locked for the code's storage: 10^19 yocto per byte."""
    return code_size * STORAGE_BYTE_COST
