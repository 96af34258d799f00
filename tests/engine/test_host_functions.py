"""Host functions with NEAR's semantics: registers, context, storage, logs, crypto, views."""
from __future__ import annotations

import hashlib

import pytest
from cryptography.hazmat.primitives.asymmetric.ed25519 import Ed25519PrivateKey

from localnet.engine import crypto
from localnet.primitives import PromiseResult

from .conftest import BASE_CONTEXT, U64_MAX, near_module, returned, returned_u64, run_wat

RETURN_U64 = """
  (func $return_u64 (param i64)
    (i64.store (i32.const 0) (local.get 0))
    (call $value_return (i64.const 8) (i64.const 0)))
"""
# Returns register 0 as the call's value.
RETURN_REGISTER_0 = "(call $value_return (i64.const -1) (i64.const 0))"


def module(body: str, imports=(), data: str = "") -> str:
    needed = set(imports) | {"value_return"}
    return near_module(RETURN_U64 + body, sorted(needed), data)


# ------------------------------------------------------------------ registers


def test_register_len_of_unset_register_is_u64_max():
    wat = module('(func (export "main") (call $return_u64 (call $register_len (i64.const 5))))', ["register_len"])
    assert returned_u64(run_wat(wat)) == U64_MAX == 2**64 - 1


def test_read_register_of_unset_register_fails_with_invalid_register_id():
    wat = module('(func (export "main") (call $read_register (i64.const 5) (i64.const 0)))', ["read_register"])
    error = run_wat(wat).error
    assert error.kind == "ExecutionError"
    assert error.message == "Accessed invalid register id: 5"
    assert error.debug_message == "HostError(InvalidRegisterId { register_id: 5 })"


def test_write_then_read_register_round_trips():
    wat = module(
        """(func (export "main")
             (call $write_register (i64.const 3) (i64.const 5) (i64.const 16))
             (call $read_register (i64.const 3) (i64.const 32))
             (call $value_return (call $register_len (i64.const 3)) (i64.const 32)))""",
        ["write_register", "read_register", "register_len"],
        '(data (i32.const 16) "hello")',
    )
    assert returned(run_wat(wat)) == b"hello"


def test_more_than_100_registers_is_a_memory_access_violation():
    wat = module(
        """(func (export "main") (local i64)
             (loop $next
               (call $write_register (local.get 0) (i64.const 1) (i64.const 0))
               (local.set 0 (i64.add (local.get 0) (i64.const 1)))
               (br_if $next (i64.lt_u (local.get 0) (i64.const 101)))))""",
        ["write_register"],
    )
    assert run_wat(wat).error.message == "Accessed memory outside the bounds."


def test_reading_outside_memory_is_a_memory_access_violation():
    wat = module(
        '(func (export "main") (call $write_register (i64.const 0) (i64.const 16) (i64.const 67108860)))',
        ["write_register"],
    )
    assert run_wat(wat).error.debug_message == "HostError(MemoryAccessViolation)"


# ------------------------------------------------------------------ context


@pytest.mark.parametrize(
    "name, expected",
    [
        ("current_account_id", BASE_CONTEXT.current_account_id.encode()),
        ("signer_account_id", BASE_CONTEXT.signer_account_id.encode()),
        ("predecessor_account_id", BASE_CONTEXT.predecessor_account_id.encode()),
        ("signer_account_pk", BASE_CONTEXT.signer_account_pk),
        ("random_seed", BASE_CONTEXT.random_seed),
    ],
)
def test_context_values_in_registers(name, expected):
    wat = module(f'(func (export "main") (call ${name} (i64.const 0)) {RETURN_REGISTER_0})', [name])
    assert returned(run_wat(wat)) == expected


def test_input_goes_to_register():
    wat = module(f'(func (export "main") (call $input (i64.const 0)) {RETURN_REGISTER_0})', ["input"])
    assert returned(run_wat(wat, input=b'{"a": 1}')) == b'{"a": 1}'


@pytest.mark.parametrize(
    "name, expected",
    [
        ("block_index", BASE_CONTEXT.block_height),
        ("block_timestamp", BASE_CONTEXT.block_timestamp),
        ("epoch_height", BASE_CONTEXT.epoch_height),
        ("storage_usage", BASE_CONTEXT.storage_usage),
        ("prepaid_gas", BASE_CONTEXT.prepaid_gas),
    ],
)
def test_u64_context_values(name, expected):
    wat = module(f'(func (export "main") (call $return_u64 (call ${name})))', [name])
    assert returned_u64(run_wat(wat)) == expected


def test_u64_values_above_i64_max_come_through_unsigned():
    wat = module('(func (export "main") (call $return_u64 (call $block_timestamp)))', ["block_timestamp"])
    assert returned_u64(run_wat(wat, block_timestamp=2**63 + 5)) == 2**63 + 5


@pytest.mark.parametrize(
    "name, expected",
    [
        ("account_balance", BASE_CONTEXT.account_balance),
        ("account_locked_balance", BASE_CONTEXT.account_locked_balance),
        ("attached_deposit", BASE_CONTEXT.attached_deposit),
    ],
)
def test_u128_amounts_are_16_little_endian_bytes(name, expected):
    wat = module(
        f'(func (export "main") (call ${name} (i64.const 40)) (call $value_return (i64.const 16) (i64.const 40)))',
        [name],
    )
    assert int.from_bytes(returned(run_wat(wat)), "little") == expected


def test_used_gas_grows_during_the_call():
    wat = module(
        """(func (export "main") (local i64)
             (local.set 0 (call $used_gas))
             (call $return_u64 (i64.sub (call $used_gas) (local.get 0))))""",
        ["used_gas"],
    )
    assert returned_u64(run_wat(wat)) > 0


# ------------------------------------------------------------------ storage


def storage_module(body: str, imports=()) -> str:
    return module(
        body,
        ["storage_write", "storage_read", "storage_remove", "storage_has_key", *imports],
        '(data (i32.const 100) "key") (data (i32.const 200) "new-value")',
    )


WRITE_KEY = "(call $storage_write (i64.const 3) (i64.const 100) (i64.const 9) (i64.const 200) (i64.const 7))"


def test_storage_write_new_key_returns_0_and_leaves_register_untouched():
    wat = storage_module(
        f"""(func (export "main")
              (i64.store (i32.const 0) {WRITE_KEY})
              (i64.store (i32.const 8) (call $register_len (i64.const 7)))
              (call $value_return (i64.const 16) (i64.const 0)))""",
        ["register_len"],
    )
    outcome = run_wat(wat)
    data = returned(outcome)
    assert int.from_bytes(data[:8], "little") == 0
    assert int.from_bytes(data[8:], "little") == U64_MAX  # register 7 still unset
    assert outcome.storage_writes == {b"key": b"new-value"}
    assert outcome.storage_usage == BASE_CONTEXT.storage_usage + 3 + 9 + 40


def test_storage_write_existing_key_returns_1_and_puts_old_value_in_register():
    wat = storage_module(f'(func (export "main") (drop {WRITE_KEY}) (call $value_return (i64.const -1) (i64.const 7)))')
    outcome = run_wat(wat, storage={b"key": b"old"})
    assert returned(outcome) == b"old"
    assert outcome.storage_writes == {b"key": b"new-value"}
    assert outcome.storage_usage == BASE_CONTEXT.storage_usage + len(b"new-value") - len(b"old")


def test_storage_write_return_value_for_existing_key():
    wat = storage_module(f'(func (export "main") (call $return_u64 {WRITE_KEY}))')
    assert returned_u64(run_wat(wat, storage={b"key": b"old"})) == 1


def test_storage_read_sees_committed_state_and_own_writes():
    wat = storage_module(
        f"""(func (export "main")
              (drop (call $storage_read (i64.const 3) (i64.const 100) (i64.const 1)))
              (drop {WRITE_KEY})
              (drop (call $storage_read (i64.const 3) (i64.const 100) (i64.const 2)))
              (call $read_register (i64.const 1) (i64.const 300))
              (call $read_register (i64.const 2) (i64.const 303))
              (call $value_return (i64.const 12) (i64.const 300)))""",
        ["read_register"],
    )
    assert returned(run_wat(wat, storage={b"key": b"abc"})) == b"abcnew-value"


def test_storage_read_missing_key_returns_0():
    wat = storage_module('(func (export "main") (call $return_u64 (call $storage_read (i64.const 3) (i64.const 100) (i64.const 1))))')
    assert returned_u64(run_wat(wat)) == 0


def test_storage_remove_returns_old_value_and_frees_storage():
    wat = storage_module(
        """(func (export "main")
             (drop (call $storage_remove (i64.const 3) (i64.const 100) (i64.const 4)))
             (call $value_return (i64.const -1) (i64.const 4)))"""
    )
    outcome = run_wat(wat, storage={b"key": b"stored"})
    assert returned(outcome) == b"stored"
    assert outcome.storage_writes == {b"key": None}
    assert outcome.storage_usage == BASE_CONTEXT.storage_usage - (3 + 6 + 40)


def test_storage_has_key_follows_writes_and_removes():
    wat = storage_module(
        f"""(func (export "main")
              (local i64)
              (local.set 0 (call $storage_has_key (i64.const 3) (i64.const 100)))
              (drop {WRITE_KEY})
              (local.set 0 (i64.or (i64.shl (local.get 0) (i64.const 1)) (call $storage_has_key (i64.const 3) (i64.const 100))))
              (drop (call $storage_remove (i64.const 3) (i64.const 100) (i64.const 4)))
              (local.set 0 (i64.or (i64.shl (local.get 0) (i64.const 1)) (call $storage_has_key (i64.const 3) (i64.const 100))))
              (call $return_u64 (local.get 0)))"""
    )
    assert returned_u64(run_wat(wat)) == 0b010


def test_storage_key_longer_than_2048_bytes_is_refused():
    wat = storage_module('(func (export "main") (drop (call $storage_write (i64.const 2049) (i64.const 0) (i64.const 1) (i64.const 0) (i64.const 0))))')
    assert run_wat(wat).error.message == "The length of a storage key 2049 exceeds the limit 2048"


def test_storage_key_from_register():
    wat = storage_module(
        """(func (export "main")
             (call $input (i64.const 9))
             (drop (call $storage_write (i64.const -1) (i64.const 9) (i64.const 9) (i64.const 200) (i64.const 0))))""",
        ["input"],
    )
    assert run_wat(wat, input=b"from-input").storage_writes == {b"from-input": b"new-value"}


# ------------------------------------------------------------------ views

VIEW_REFUSED = [
    ("storage_write", "storage_write", "(drop (call $storage_write (i64.const 1) (i64.const 0) (i64.const 1) (i64.const 0) (i64.const 0)))"),
    ("storage_remove", "storage_remove", "(drop (call $storage_remove (i64.const 1) (i64.const 0) (i64.const 0)))"),
    ("predecessor_account_id", "predecessor_account_id", "(call $predecessor_account_id (i64.const 0))"),
    ("signer_account_id", "signer_account_id", "(call $signer_account_id (i64.const 0))"),
    ("signer_account_pk", "signer_account_pk", "(call $signer_account_pk (i64.const 0))"),
    ("prepaid_gas", "prepaid_gas", "(drop (call $prepaid_gas))"),
    ("used_gas", "used_gas", "(drop (call $used_gas))"),
    ("promise_batch_create", "promise_batch_create", "(drop (call $promise_batch_create (i64.const 5) (i64.const 0)))"),
    ("promise_create", "promise_batch_create", "(drop (call $promise_create (i64.const 5) (i64.const 0) (i64.const 1) (i64.const 0) (i64.const 0) (i64.const 0) (i64.const 0) (i64.const 0)))"),
    ("promise_results_count", "promise_results_count", "(drop (call $promise_results_count))"),
    ("promise_result", "promise_result", "(drop (call $promise_result (i64.const 0) (i64.const 0)))"),
    ("promise_return", "promise_return", "(call $promise_return (i64.const 0))"),
    ("promise_and", "promise_and", "(drop (call $promise_and (i64.const 0) (i64.const 0)))"),
]


@pytest.mark.parametrize("import_name, reported, call", VIEW_REFUSED, ids=[v[0] for v in VIEW_REFUSED])
def test_views_refuse_state_changes_promises_and_caller_details(import_name, reported, call):
    wat = module(f'(func (export "main") {call})', [import_name], '(data (i32.const 0) "a.near")')
    error = run_wat(wat, view=True).error
    assert error.message == f"{reported} is not allowed in view calls"
    assert error.debug_message == f'HostError(ProhibitedInView {{ method_name: "{reported}" }})'


def test_views_may_read_state_and_context():
    wat = storage_module(
        f"""(func (export "main")
              (drop (call $storage_read (i64.const 3) (i64.const 100) (i64.const 0)))
              (call $current_account_id (i64.const 1))
              (drop (call $block_timestamp))
              {RETURN_REGISTER_0})""",
        ["current_account_id", "block_timestamp"],
    )
    assert returned(run_wat(wat, view=True, storage={b"key": b"visible"})) == b"visible"


# ------------------------------------------------------------------ panics and logs


def test_panic_utf8_message():
    wat = module('(func (export "main") (call $panic_utf8 (i64.const 4) (i64.const 0)))', ["panic_utf8"], '(data (i32.const 0) "boom")')
    error = run_wat(wat).error
    assert error.message == "Smart contract panicked: boom"
    assert error.debug_message == 'HostError(GuestPanic { panic_msg: "boom" })'


def test_panic_utf8_nul_terminated():
    wat = module('(func (export "main") (call $panic_utf8 (i64.const -1) (i64.const 0)))', ["panic_utf8"], '(data (i32.const 0) "stop here\\00ignored")')
    assert run_wat(wat).error.message == "Smart contract panicked: stop here"


def test_panic_utf8_with_invalid_utf8():
    wat = module('(func (export "main") (call $panic_utf8 (i64.const 2) (i64.const 0)))', ["panic_utf8"], '(data (i32.const 0) "\\ff\\fe")')
    assert run_wat(wat).error.message == "String encoding is bad UTF-8 sequence."


def test_panic_without_message():
    wat = module('(func (export "main") (call $panic))', ["panic"])
    assert run_wat(wat).error.message == "Smart contract panicked: explicit guest panic"


def test_abort_formats_assemblyscript_message_and_logs_it():
    # AssemblyScript strings: UTF-16LE, byte length stored in the 4 bytes before.
    msg, filename = "bad", "a.ts"
    data = (
        f'(data (i32.const 4) "{_le32(len(msg) * 2)}{_utf16(msg)}")'
        f'(data (i32.const 64) "{_le32(len(filename) * 2)}{_utf16(filename)}")'
    )
    wat = near_module('(func (export "main") (call $abort (i32.const 8) (i32.const 68) (i32.const 12) (i32.const 3)))', ["abort"], data)
    outcome = run_wat(wat)
    assert outcome.error.message == 'Smart contract panicked: bad, filename: "a.ts" line: 12 col: 3'
    assert outcome.logs == ['ABORT: bad, filename: "a.ts" line: 12 col: 3']


def _le32(value: int) -> str:
    return "".join(f"\\{b:02x}" for b in value.to_bytes(4, "little"))


def _utf16(text: str) -> str:
    return "".join(f"\\{b:02x}" for b in text.encode("utf-16-le"))


def test_logs_are_kept_in_order():
    wat = module(
        """(func (export "main")
             (call $log_utf8 (i64.const 5) (i64.const 0))
             (call $log_utf8 (i64.const -1) (i64.const 8))
             (call $log_utf16 (i64.const 4) (i64.const 32))
             (call $log_utf16 (i64.const -1) (i64.const 32)))""",
        ["log_utf8", "log_utf16"],
        f'(data (i32.const 0) "first") (data (i32.const 8) "second\\00") (data (i32.const 32) "{_utf16("hé")}\\00\\00")',
    )
    assert run_wat(wat).logs == ["first", "second", "hé", "hé"]


def test_at_most_100_logs():
    wat = module(
        """(func (export "main") (local i32)
             (loop $next
               (call $log_utf8 (i64.const 1) (i64.const 0))
               (local.set 0 (i32.add (local.get 0) (i32.const 1)))
               (br_if $next (i32.lt_u (local.get 0) (i32.const 101)))))""",
        ["log_utf8"],
        '(data (i32.const 0) "x")',
    )
    outcome = run_wat(wat)
    assert outcome.error.message == "The number of logs will exceed the limit 100"
    assert len(outcome.logs) == 100


def test_total_log_length_is_limited_to_16384_bytes():
    wat = module(
        """(func (export "main")
             (call $log_utf8 (i64.const 10000) (i64.const 0))
             (call $log_utf8 (i64.const 6384) (i64.const 0))
             (call $log_utf8 (i64.const 1) (i64.const 0)))""",
        ["log_utf8"],
    )
    outcome = run_wat(wat)
    assert outcome.error.message == "The length of a log message 16385 exceeds the limit 16384"
    assert [len(log) for log in outcome.logs] == [10000, 6384]


def test_value_return_from_memory():
    wat = module('(func (export "main") (call $value_return (i64.const 3) (i64.const 0)))', data='(data (i32.const 0) "xyz")')
    assert returned(run_wat(wat)) == b"xyz"


def test_no_value_return_means_no_return_data():
    outcome = run_wat(module('(func (export "main"))'))
    assert outcome.error is None
    assert outcome.return_data is None


# ------------------------------------------------------------------ crypto


@pytest.mark.parametrize(
    "name, digest",
    [
        ("sha256", lambda d: hashlib.sha256(d).digest()),
        ("keccak256", crypto.keccak256),
        ("keccak512", crypto.keccak512),
        ("ripemd160", lambda d: hashlib.new("ripemd160", d).digest()),
    ],
)
def test_hashes(name, digest):
    wat = module(f'(func (export "main") (call $input (i64.const 1)) (call ${name} (i64.const -1) (i64.const 1) (i64.const 0)) {RETURN_REGISTER_0})', [name, "input"])
    message = b"The quick brown fox jumps over the lazy dog" * 5
    assert returned(run_wat(wat, input=message)) == digest(message)


def test_keccak256_known_vector():
    assert crypto.keccak256(b"The quick brown fox jumps over the lazy dog").hex() == (
        "4d741b6f1eb29cb2a9b9911c82f56fa8d73b04959d3d9d222895df6c0b28aa15"
    )


def test_keccak_matches_sha3_when_given_sha3_padding():
    for size in (0, 1, 71, 72, 73, 135, 136, 137, 500):
        data = bytes(i % 251 for i in range(size))
        assert crypto._keccak(data, 136, 32, 0x06) == hashlib.sha3_256(data).digest()
        assert crypto._keccak(data, 72, 64, 0x06) == hashlib.sha3_512(data).digest()


ED25519_MODULE = """(func (export "main")
  (call $input (i64.const 0))
  (call $read_register (i64.const 0) (i64.const 1000))
  (call $return_u64 (call $ed25519_verify
      (i64.const {sig_len}) (i64.const 1000)
      (i64.const {msg_len}) (i64.const 1096)
      (i64.const {key_len}) (i64.const 1064))))"""


def ed25519_input():
    key = Ed25519PrivateKey.generate()
    message = b"jwt-signing-input"
    public = key.public_key().public_bytes_raw()
    signature = key.sign(message)
    return signature, public, message


def run_ed25519(signature, public, message, sig_len=64, key_len=32):
    wat = module(
        ED25519_MODULE.format(sig_len=sig_len, msg_len=len(message), key_len=key_len),
        ["input", "read_register", "ed25519_verify"],
    )
    return run_wat(wat, input=signature + public + message)


def test_ed25519_verify_accepts_a_valid_signature():
    assert returned_u64(run_ed25519(*ed25519_input())) == 1


def test_ed25519_verify_rejects_a_wrong_message():
    signature, public, message = ed25519_input()
    assert returned_u64(run_ed25519(signature, public, message[:-1] + b"X")) == 0


@pytest.mark.parametrize("sig_len, key_len, expected", [(63, 32, "invalid signature length"), (64, 31, "invalid public key length")])
def test_ed25519_verify_bad_lengths_are_host_errors(sig_len, key_len, expected):
    error = run_ed25519(*ed25519_input(), sig_len=sig_len, key_len=key_len).error
    assert error.message == f"ED25519 signature verification error: {expected}"


def test_ecrecover_recovers_the_signer_key():
    eth_keys = pytest.importorskip("eth_keys")
    private = eth_keys.keys.PrivateKey(bytes(range(1, 33)))
    message_hash = hashlib.sha256(b"payload").digest()
    signature = private.sign_msg_hash(message_hash)
    wat = module(
        """(func (export "main")
             (call $input (i64.const 0))
             (call $read_register (i64.const 0) (i64.const 1000))
             (if (i64.eqz (call $ecrecover (i64.const 32) (i64.const 1000) (i64.const 64) (i64.const 1032)
                                           (i64.load8_u (i32.const 1096)) (i64.const 1) (i64.const 1)))
               (then (unreachable)))
             (call $value_return (i64.const -1) (i64.const 1)))""",
        ["input", "read_register", "ecrecover"],
    )
    payload = message_hash + signature.to_bytes()[:64] + bytes([signature.v])
    assert returned(run_wat(wat, input=payload)) == private.public_key.to_bytes()


# ------------------------------------------------------------------ callbacks


def test_promise_results_in_callback():
    wat = module(
        """(func (export "main")
             (i64.store (i32.const 500) (call $promise_results_count))
             (i64.store (i32.const 508) (call $promise_result (i64.const 0) (i64.const 3)))
             (i64.store (i32.const 516) (call $promise_result (i64.const 1) (i64.const 4)))
             (call $read_register (i64.const 3) (i64.const 524))
             (call $value_return (i64.add (i64.const 24) (call $register_len (i64.const 3))) (i64.const 500)))""",
        ["promise_results_count", "promise_result", "read_register", "register_len"],
    )
    results = (PromiseResult(True, b"callee-value"), PromiseResult(False))
    data = returned(run_wat(wat, promise_results=results))
    count, first, second = (int.from_bytes(data[i : i + 8], "little") for i in (0, 8, 16))
    assert (count, first, second) == (2, 1, 2)
    assert data[24:] == b"callee-value"


def test_promise_result_index_out_of_range():
    wat = module('(func (export "main") (drop (call $promise_result (i64.const 0) (i64.const 0))))', ["promise_result"])
    assert run_wat(wat).error.message == "Accessed invalid promise result index: 0"


def test_deprecated_storage_iterators():
    wat = module('(func (export "main") (drop (call $storage_iter_prefix (i64.const 0) (i64.const 0))))', ["storage_iter_prefix"])
    assert run_wat(wat).error.message == "Attempted to call deprecated host function storage_iter_prefix"


def test_storage_value_longer_than_4_mib_is_refused():
    wat = storage_module(
        '(func (export "main") (drop (call $storage_write (i64.const 3) (i64.const 100) (i64.const 4194305) (i64.const 0) (i64.const 0))))'
    )
    assert run_wat(wat).error.message == "The length of a storage value 4194305 exceeds the limit 4194304"


def test_value_return_pays_for_the_data_receipts_of_waiting_callbacks():
    from localnet.engine import DEFAULT_CONFIG

    wat = module('(func (export "main") (call $value_return (i64.const 10) (i64.const 0)))')
    fee = DEFAULT_CONFIG.action_fees["NEW_DATA_RECEIPT_BYTE"]
    alone = run_wat(wat)
    awaited = run_wat(wat, output_data_receivers=("bob.test.near", BASE_CONTEXT.current_account_id))
    assert "NEW_DATA_RECEIPT_BYTE" not in alone.gas_profile
    expected = 10 * (fee.send_not_sir + fee.execution) + 10 * (fee.send_sir + fee.execution)
    assert awaited.gas_profile["NEW_DATA_RECEIPT_BYTE"] == expected
    assert awaited.burnt_gas - alone.burnt_gas == expected
