"""The core's adversarial corpus (tests/core/adversarial.py) through the compiled guard.

The guard is configured from the corpus's own context (its keys, audience and
issuer) and every case runs at the context's block time, as a view and as a
transaction: each must come back as `[false, <the case's reason>]` -- the call
succeeds (no panic, no trap) and returns a JSON list of two.
"""
from __future__ import annotations

import json
from collections import Counter

import pytest

from devkit.guard_chain import (
    expected_answer,
    ALICE,
    ARGUMENTS_TOO_LARGE,
    MAX_VERIFY_ARGS_BYTES,
    GuardChain,
    encode_args,
    fastauth_args,
    reasons,
    router_args,
)
from tests.core import adversarial

CONTEXT = adversarial.default_context()
CORPUS = adversarial.build_corpus(CONTEXT)
TGAS = 10**12


@pytest.fixture(scope="module")
def corpus_chain(wasm):
    """The guard configured like the corpus context; snapshots at `now` (views) and two blocks
    earlier (a transaction from another account is included one block later and its receipt
    runs in the next, so it executes at exactly `now`)."""
    env = GuardChain(wasm, public_keys=CONTEXT.public_keys, genesis_s=CONTEXT.now - 60,
                     init_extra={"audience": CONTEXT.audience})
    env.advance_to(CONTEXT.now - 2)
    before = env.snapshot()
    env.advance_to(CONTEXT.now)
    at_now = env.snapshot()
    return env, at_now, before


# Cases whose arguments exceed the shell's cap: the shell answers before parsing
# (the core, given the token, would say "Token too large").
OVERSIZED_ARGUMENTS = {"size/100k"}


def _expected(case, args):
    if len(encode_args(args)) > MAX_VERIFY_ARGS_BYTES:
        assert case.name in OVERSIZED_ARGUMENTS, case.name
        return [False, ARGUMENTS_TOO_LARGE]
    assert case.name not in OVERSIZED_ARGUMENTS
    return expected_answer(args, [False, case.reason])


def _args(case, style):
    if style == "router":
        return router_args(case.token, case.sign_payload, issuer=CONTEXT.issuer)
    return fastauth_args(case.token, case.sign_payload, guard_id="jwt#" + CONTEXT.issuer)


def test_corpus_is_large_and_the_guard_is_configured_like_its_context(corpus_chain):
    env, at_now, _ = corpus_chain
    env.restore(at_now)
    assert len(CORPUS) >= 200
    assert env.view("get_public_keys") == CONTEXT.public_keys
    assert env.view("get_settings") == {"audience": CONTEXT.audience}
    assert env.now_s == CONTEXT.now
    for token in (CONTEXT.rs256(), CONTEXT.eddsa()):
        case = adversarial.Case("valid", token, None, list(CONTEXT.sign_payload))
        assert env.verify_view(_args(case, "router")) == [True, "google-oauth2|123456789"]


@pytest.mark.parametrize("case", CORPUS, ids=[case.name for case in CORPUS])
def test_case_is_rejected_with_its_reason_as_a_view(corpus_chain, case):
    env, at_now, _ = corpus_chain
    env.restore(at_now)
    for style in ("router", "fastauth"):
        args = _args(case, style)
        raw = env.raw_view("verify", encode_args(args))
        assert json.loads(raw) == _expected(case, args), style


@pytest.mark.parametrize("case", CORPUS, ids=[case.name for case in CORPUS])
def test_case_is_rejected_with_its_reason_as_a_transaction(corpus_chain, case):
    env, _, before = corpus_chain
    env.restore(before)
    args = _args(case, "router")
    result = env.call(ALICE, "verify", args)
    assert result.succeeded and not result.receipt_failures, (result.status, result.logs)
    value = result.return_value
    assert isinstance(value, list) and len(value) == 2
    assert value == _expected(case, args)
    assert env.method_gas(result) < 300 * TGAS


def test_corpus_covers_the_reasons(corpus_chain):
    counts = Counter(case.reason for case in CORPUS)
    # Key id required depends on the key set's size, not the token (test_gas_budgets covers it).
    expected = set(reasons.JWT_REASONS) - {
        reasons.PAUSED, reasons.CUSTOM_CLAIMS_REJECTED, reasons.VERIFICATION_ERROR, reasons.KEY_ID_REQUIRED}
    assert expected <= set(counts)
