import pytest

from tests.core.core_support import NOW, eddsa_key, ed25519_private_key, modulus_bytes, rs256_key, rsa_private_key
from guard_core import keys, reasons, validate_public_key, validate_public_keys


def _rsa(**extra):
    return rs256_key(rsa_private_key(2048), **extra)


def _modulus_list(bits=2048):
    return list(modulus_bytes(rsa_private_key(bits)))


def test_valid_keys_round_trip_in_get_public_keys_shape(rsa_key_any_size):
    key = rs256_key(rsa_key_any_size, kid="k1", not_before=10, not_after=20)
    normalised, reason = validate_public_key(key)
    assert reason is None
    assert normalised == key


def test_rust_style_key_without_alg_is_rs256():
    normalised, reason = validate_public_key({"n": _modulus_list(), "e": [1, 0, 1]})
    assert reason is None
    assert set(normalised) == {"n", "e"}
    assert keys.key_algorithm(normalised) == "RS256"


def test_eddsa_key():
    key = eddsa_key(ed25519_private_key(), kid="ed")
    normalised, reason = validate_public_key(key)
    assert reason is None and normalised == key


def _odd(values):
    values = list(values)
    values[-1] |= 1
    return values


@pytest.mark.parametrize(
    "key,reason",
    [
        ("not a dict", reasons.KEY_NOT_AN_OBJECT),
        ([1, 2], reasons.KEY_NOT_AN_OBJECT),
        ({"n": _odd([0xC1] * 255), "e": [1, 0, 1]}, reasons.KEY_BAD_MODULUS_SIZE),  # 2040-bit
        ({"n": _odd([0xC1] * 257), "e": [1, 0, 1]}, reasons.KEY_BAD_MODULUS_SIZE),
        ({"n": _odd([0xC1] * 128), "e": [1, 0, 1]}, reasons.KEY_BAD_MODULUS_SIZE),  # 1024-bit
        ({"n": [0xC1] * 255 + [0x10], "e": [1, 0, 1]}, reasons.KEY_EVEN_MODULUS),
        ({"n": [0] + _odd([0xC1] * 255), "e": [1, 0, 1]}, reasons.KEY_MODULUS_LEADING_ZERO),
        ({"n": _odd([0xC1] * 255) + [256], "e": [1, 0, 1]}, reasons.KEY_BAD_MODULUS_SIZE),
        ({"n": [0xC1] * 255 + [1.0], "e": [1, 0, 1]}, reasons.KEY_BAD_MODULUS_SIZE),
        ({"n": "AQAB", "e": [1, 0, 1]}, reasons.KEY_BAD_MODULUS_SIZE),
        ({"e": [1, 0, 1]}, reasons.KEY_BAD_MODULUS_SIZE),
        ({"n": _odd([0xC1] * 256), "e": [3]}, reasons.KEY_BAD_EXPONENT),
        ({"n": _odd([0xC1] * 256), "e": [0, 1, 0, 1]}, reasons.KEY_BAD_EXPONENT),
        ({"n": _odd([0xC1] * 256), "e": [True, False, True]}, reasons.KEY_BAD_EXPONENT),
        ({"n": _odd([0xC1] * 256)}, reasons.KEY_BAD_EXPONENT),
        ({"n": _odd([0xC1] * 256), "e": [1, 0, 1], "alg": "RS512"}, reasons.KEY_UNSUPPORTED_ALG),
        ({"n": _odd([0xC1] * 256), "e": [1, 0, 1], "alg": None}, reasons.KEY_UNSUPPORTED_ALG),
        ({"n": _odd([0xC1] * 256), "e": [1, 0, 1], "use": "sig"}, reasons.KEY_UNKNOWN_FIELD),
        ({"n": _odd([0xC1] * 256), "e": [1, 0, 1], "x": [0] * 32}, reasons.KEY_UNKNOWN_FIELD),
        ({"alg": "EdDSA", "x": [7] * 31}, reasons.KEY_BAD_ED25519),
        ({"alg": "EdDSA", "x": [7] * 33}, reasons.KEY_BAD_ED25519),
        ({"alg": "EdDSA"}, reasons.KEY_BAD_ED25519),
        ({"alg": "EdDSA", "x": [9] * 32, "n": [1]}, reasons.KEY_UNKNOWN_FIELD),
        ({"alg": "none", "x": [9] * 32}, reasons.KEY_UNSUPPORTED_ALG),
        ({"alg": "HS256", "k": [1, 2]}, reasons.KEY_UNSUPPORTED_ALG),
        ({"alg": "EdDSA", "x": [9] * 32, "kid": "k" * 129}, reasons.KEY_BAD_KID),
        ({"alg": "EdDSA", "x": [9] * 32, "kid": ""}, reasons.KEY_BAD_KID),
        ({"alg": "EdDSA", "x": [9] * 32, "kid": 5}, reasons.KEY_BAD_KID),
        ({"alg": "EdDSA", "x": [9] * 32, "not_before": 1.5}, reasons.KEY_BAD_WINDOW_TYPE),
        ({"alg": "EdDSA", "x": [9] * 32, "not_before": True}, reasons.KEY_BAD_WINDOW_TYPE),
        ({"alg": "EdDSA", "x": [9] * 32, "not_after": "10"}, reasons.KEY_BAD_WINDOW_TYPE),
        ({"alg": "EdDSA", "x": [9] * 32, "not_after": -1}, reasons.KEY_BAD_WINDOW_TYPE),
        ({"alg": "EdDSA", "x": [9] * 32, "not_after": 2**63}, reasons.KEY_BAD_WINDOW_TYPE),
        ({"alg": "EdDSA", "x": [9] * 32, "not_before": 10, "not_after": 10}, reasons.KEY_EMPTY_WINDOW),
        ({"alg": "EdDSA", "x": [9] * 32, "not_before": 11, "not_after": 10}, reasons.KEY_EMPTY_WINDOW),
    ],
)
def test_key_rejections(key, reason):
    assert validate_public_key(key) == (None, reason)


def test_kid_of_128_characters_is_allowed():
    assert validate_public_key(_rsa(kid="é" * 128))[1] is None


def test_key_set_rules():
    assert validate_public_keys("nope") == (None, reasons.KEYS_NOT_A_LIST)
    assert validate_public_keys([]) == (None, reasons.KEYS_EMPTY)
    ed = [eddsa_key(ed25519_private_key(i), kid=f"k{i}") for i in range(17)]
    assert validate_public_keys(ed) == (None, reasons.KEYS_TOO_MANY)
    assert validate_public_keys(ed[:16])[1] is None
    assert validate_public_keys([_rsa(kid="a"), eddsa_key(ed25519_private_key(), kid="a")]) == (
        None,
        reasons.KEYS_DUPLICATE_KID,
    )
    # Keys without kid may coexist.
    assert validate_public_keys([_rsa(), eddsa_key(ed25519_private_key())])[1] is None
    # One bad key spoils the set.
    assert validate_public_keys([_rsa(), {"alg": "EdDSA", "x": [1]}]) == (None, reasons.KEY_BAD_ED25519)


def test_window_bounds_are_inclusive_start_exclusive_end():
    key = {"alg": "EdDSA", "x": [9] * 32, "not_before": 100, "not_after": 200}
    assert not keys.is_active(key, 99)
    assert keys.is_active(key, 100)
    assert keys.is_active(key, 199)
    assert not keys.is_active(key, 200)


def test_rotation_at_one_instant_has_no_gap_and_no_overlap():
    old = _rsa(kid="old", not_after=NOW)
    new = _rsa(kid="new", not_before=NOW)
    key_set = [old, new]
    assert keys.select_keys(key_set, "RS256", None, NOW - 1) == [old]
    assert keys.select_keys(key_set, "RS256", None, NOW) == [new]


def test_selection_by_kid_and_by_algorithm():
    rsa_a, rsa_b = _rsa(kid="a"), _rsa(kid="b")
    ed = eddsa_key(ed25519_private_key(), kid="e")
    unnamed = eddsa_key(ed25519_private_key(1))
    key_set = [rsa_a, rsa_b, ed, unnamed]
    assert keys.select_keys(key_set, "RS256", "b", NOW) == [rsa_b]
    # Unknown kid: every key of the algorithm.
    assert keys.select_keys(key_set, "RS256", "zzz", NOW) == [rsa_a, rsa_b]
    assert keys.select_keys(key_set, "EdDSA", None, NOW) == [ed, unnamed]
    # kid names a key of another algorithm: nothing, no fallback.
    assert keys.select_keys(key_set, "RS256", "e", NOW) == []
    assert keys.select_keys(key_set, "EdDSA", "a", NOW) == []
    # kid names a key outside its window: nothing, no fallback.
    expired = _rsa(kid="x", not_after=NOW)
    assert keys.select_keys([expired, rsa_a], "RS256", "x", NOW) == []
    assert keys.select_keys([expired, rsa_a], "RS256", None, NOW) == [rsa_a]


@pytest.mark.parametrize(
    "key_set",
    [None, "x", 5, [None, "k", 3], {"n": 1}, [{"n": [1], "not_before": "0"}], [{"n": [1], "not_after": None}]],
)
def test_selection_tolerates_corrupt_storage(key_set):
    assert keys.select_keys(key_set, "RS256", None, NOW) == []


# --- no key change leaves the guard without a valid key -------------------------------


def _window(kid, not_before=None, not_after=None):
    key = {"alg": "EdDSA", "x": [7] * 32, "kid": kid}
    if not_before is not None:
        key["not_before"] = not_before
    if not_after is not None:
        key["not_after"] = not_after
    return key


@pytest.mark.parametrize("key_set, gap", [
    ([_window("a")], None),
    ([_window("a", not_after=NOW + 10)], None),  # ends as scheduled: not a gap
    ([_window("a", not_before=NOW)], None),  # valid from this very second
    ([_window("old", not_after=NOW + 10), _window("new", not_before=NOW + 10)], None),  # hand-over at one instant
    ([_window("old", not_after=NOW + 10), _window("new", not_before=NOW + 5, not_after=NOW + 20),
      _window("newer", not_before=NOW + 20)], None),  # overlapping then touching windows
    ([_window("retired", not_after=NOW), _window("valid")], None),
    # A retired key plus one valid key: removing the valid one leaves the retired one alone.
    ([_window("retired", not_after=NOW)], (NOW, None)),
    ([_window("retired", not_after=NOW - 100)], (NOW, None)),
    ([_window("later", not_before=NOW + 1)], (NOW, NOW + 1)),
    ([_window("retired", not_after=NOW), _window("later", not_before=NOW + 60)], (NOW, NOW + 60)),
    ([_window("old", not_after=NOW + 10), _window("new", not_before=NOW + 11)], (NOW + 10, NOW + 11)),
    ([_window("b", not_before=NOW + 30), _window("a", not_after=NOW + 10),
      _window("c", not_before=NOW + 5, not_after=NOW + 20)], (NOW + 20, NOW + 30)),
    ([], (NOW, None)),
])
def test_validity_gap(key_set, gap):
    assert keys.validity_gap(key_set, NOW) == gap


def test_validity_gap_reasons_say_when_with_the_block_time():
    assert keys.validity_gap_reason((NOW, None), NOW) == (
        f"Refusing the key change: no key would be valid now (block time {NOW}) or later: "
        "the guard would reject every token")
    assert keys.validity_gap_reason((NOW, NOW + 60), NOW) == (
        f"Refusing the key change: no key would be valid now (block time {NOW}) until {NOW + 60}: "
        "the guard would reject every token in between")
    assert keys.validity_gap_reason((NOW + 10, NOW + 11), NOW) == (
        f"Refusing the key change: no key would be valid from {NOW + 10} until {NOW + 11}: "
        "the guard would reject every token in between")
