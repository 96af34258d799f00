"""The whole pipeline: pyjwt-made tokens, every rule's reason, the Auth0 vector."""

import json

import jwt as pyjwt
import pytest

import guard_core
from tests.core.core_support import (
    ISSUER,
    NOW,
    SIGN_PAYLOAD,
    SUBJECT,
    b64url,
    claims,
    eddsa_header,
    eddsa_key,
    ed25519_private_key,
    load_auth0_vector,
    rs256_header,
    rs256_key,
    rsa_private_key,
    sign_jws,
    verify,
)
from guard_core import keys, reasons


def _pyjwt_rs256(private_key, payload, kid=None):
    headers = {"kid": kid} if kid else None
    return pyjwt.encode(payload, private_key, algorithm="RS256", headers=headers)


def test_pyjwt_rs256_tokens_verify_all_sizes(rsa_key_any_size):
    token = _pyjwt_rs256(rsa_key_any_size, claims(), kid="main")
    key_set = [rs256_key(rsa_key_any_size, kid="main")]
    assert verify(token, key_set) == (True, SUBJECT)


def test_pyjwt_eddsa_token_verifies(ed_key):
    token = pyjwt.encode(claims(), ed_key, algorithm="EdDSA")
    assert verify(token, [eddsa_key(ed_key)]) == (True, SUBJECT)


def test_mixed_key_set_verifies_both_algorithms(rsa_key, ed_key):
    key_set = [rs256_key(rsa_key, kid="r"), eddsa_key(ed_key, kid="e")]
    assert verify(_pyjwt_rs256(rsa_key, claims()), key_set) == (True, SUBJECT)
    assert verify(pyjwt.encode(claims(), ed_key, algorithm="EdDSA", headers={"kid": "e"}), key_set) == (
        True,
        SUBJECT,
    )


# --- the Auth0 vector ---------------------------------------------------------


def _auth0(now, **options):
    vector = load_auth0_vector()
    key_set, reason = guard_core.validate_public_keys([vector["public_key"]])
    assert reason is None
    return verify(vector["jwt"], key_set, now=now, sign_payload=vector["sign_payload"], issuer=vector["issuer"], **options)


def test_auth0_vector_verifies_at_its_time():
    vector = load_auth0_vector()
    assert _auth0(vector["valid_at_unix_seconds"]) == (True, vector["sub"])
    assert _auth0(vector["exp"] - 1) == (True, vector["sub"])


def test_auth0_vector_expires():
    vector = load_auth0_vector()
    assert _auth0(vector["exp"]) == (False, reasons.TOKEN_EXPIRED)
    assert _auth0(vector["exp"] + 1) == (False, reasons.TOKEN_EXPIRED)


def test_auth0_vector_audience_and_guard_id():
    vector = load_auth0_vector()
    now = vector["valid_at_unix_seconds"]
    assert _auth0(now, audience=vector["aud"][0]) == (True, vector["sub"])
    assert _auth0(now, audience="https://other.example") == (False, reasons.AUDIENCE_MISMATCH)
    issuer = guard_core.expected_issuer(guard_id="jwt#" + vector["issuer"])
    assert issuer == vector["issuer"]


def test_auth0_vector_other_sign_payload_is_rejected():
    vector = load_auth0_vector()
    key_set, _ = guard_core.validate_public_keys([vector["public_key"]])
    other = list(vector["sign_payload"])
    other[-1] ^= 1
    result = verify(vector["jwt"], key_set, now=vector["valid_at_unix_seconds"], sign_payload=other, issuer=vector["issuer"])
    assert result == (False, reasons.FATXN_MISMATCH)


# --- one reason per rule, in the spec's order ---------------------------------


def _rsa():
    return rsa_private_key(2048)


def _rsa_set(**extra):
    return [rs256_key(_rsa(), kid="main", **extra)]


def _signed(payload=None, header=None, key=None):
    return sign_jws(header or rs256_header(kid="main"), claims() if payload is None else payload, key or _rsa())


def _valid():
    return _signed()


def _swap_segment(token, index, new_segment):
    parts = token.split(".")
    parts[index] = new_segment
    return ".".join(parts)


def _big_token():
    token = _signed(claims(padding="x" * 6000))
    assert len(token) > 7168
    return token


def _token_of_exactly_7168_bytes():
    base = _signed(claims(padding=""))
    grow = 7168 - len(base)
    # Each 3 payload bytes add 4 characters; settle the remainder with the signature segment length unchanged.
    for extra in range(grow * 3 // 4 - 3, grow * 3 // 4 + 3):
        token = _signed(claims(padding="x" * extra))
        if len(token) == 7168:
            return token
    raise AssertionError("could not hit 7168 bytes")


CASES = [
    # (name, token factory, keys factory, options, expected reason)
    ("paused", _valid, _rsa_set, {"paused": True}, reasons.PAUSED),
    ("too large", _big_token, _rsa_set, {}, reasons.TOKEN_TOO_LARGE),
    ("not a string", lambda: b"a.b.c", _rsa_set, {}, reasons.MALFORMED_TOKEN),
    ("none", lambda: None, _rsa_set, {}, reasons.MALFORMED_TOKEN),
    ("two segments", lambda: _valid().rsplit(".", 1)[0], _rsa_set, {}, reasons.MALFORMED_TOKEN),
    ("four segments", lambda: _valid() + ".", _rsa_set, {}, reasons.MALFORMED_TOKEN),
    ("padded signature", lambda: _valid() + "==", _rsa_set, {}, reasons.MALFORMED_TOKEN),
    ("padded payload", lambda: _swap_segment(_valid(), 1, _valid().split(".")[1] + "="), _rsa_set, {}, reasons.MALFORMED_TOKEN),
    ("bad char in header", lambda: "*" + _valid()[1:], _rsa_set, {}, reasons.MALFORMED_TOKEN),
    ("non-ascii", lambda: _valid()[:-1] + "é", _rsa_set, {}, reasons.MALFORMED_TOKEN),
    ("lone surrogate", lambda: _valid()[:-1] + "\ud800", _rsa_set, {}, reasons.MALFORMED_TOKEN),
    ("header not json", lambda: _swap_segment(_valid(), 0, b64url(b"{alg}")), _rsa_set, {}, reasons.INVALID_HEADER),
    ("header array", lambda: _signed(header=[{"alg": "RS256"}]), _rsa_set, {}, reasons.INVALID_HEADER),
    ("header missing alg", lambda: _signed(header={"typ": "JWT"}), _rsa_set, {}, reasons.INVALID_HEADER),
    ("alg not a string", lambda: _signed(header={"alg": ["RS256"]}), _rsa_set, {}, reasons.INVALID_HEADER),
    ("kid not a string", lambda: _signed(header={"alg": "RS256", "kid": 1}), _rsa_set, {}, reasons.INVALID_HEADER),
    ("crit header", lambda: _signed(header={"alg": "RS256", "crit": ["exp"]}), _rsa_set, {}, reasons.INVALID_HEADER),
    ("alg none", lambda: _signed(header={"alg": "none"}), _rsa_set, {}, reasons.UNSUPPORTED_ALGORITHM),
    ("alg HS256", lambda: _signed(header={"alg": "HS256"}), _rsa_set, {}, reasons.UNSUPPORTED_ALGORITHM),
    ("alg RS512", lambda: _signed(header={"alg": "RS512"}), _rsa_set, {}, reasons.UNSUPPORTED_ALGORITHM),
    ("alg lowercase", lambda: _signed(header={"alg": "rs256"}), _rsa_set, {}, reasons.UNSUPPORTED_ALGORITHM),
    ("EdDSA without EdDSA keys", lambda: _signed(header=eddsa_header()), _rsa_set, {}, reasons.NO_VALID_KEY),
    ("kid names EdDSA key", lambda: _signed(header=rs256_header(kid="ed")), lambda: _rsa_set() + [eddsa_key(ed25519_private_key(), kid="ed")], {}, reasons.NO_VALID_KEY),
    ("key not yet active", _valid, lambda: _rsa_set(not_before=NOW + 1), {}, reasons.NO_VALID_KEY),
    ("key retired", _valid, lambda: _rsa_set(not_after=NOW), {}, reasons.NO_VALID_KEY),
    ("no keys at all", _valid, lambda: [], {}, reasons.NO_VALID_KEY),
    ("other key signed", lambda: _signed(key=rsa_private_key(2048, index=1)), _rsa_set, {}, reasons.INVALID_SIGNATURE),
    ("signature flipped", lambda: _swap_segment(_valid(), 2, ("B" if _valid().split(".")[2][0] == "A" else "A") + _valid().split(".")[2][1:]), _rsa_set, {}, reasons.INVALID_SIGNATURE),
    ("payload swapped", lambda: _swap_segment(_valid(), 1, b64url(json.dumps(claims(sub="mallory")).encode())), _rsa_set, {}, reasons.INVALID_SIGNATURE),
    ("signature one byte short", lambda: sign_jws(rs256_header(kid="main"), claims(), _rsa(), signature_override=bytes(255)), _rsa_set, {}, reasons.INVALID_SIGNATURE),
    ("eddsa signature on rs256 key", lambda: _signed(header=rs256_header(kid="main"), key=ed25519_private_key()), _rsa_set, {}, reasons.INVALID_SIGNATURE),
    ("payload not json", lambda: _signed(payload=b"not json"), _rsa_set, {}, reasons.INVALID_PAYLOAD),
    ("payload array", lambda: _signed(payload=[claims()]), _rsa_set, {}, reasons.INVALID_PAYLOAD),
    ("payload invalid utf-8", lambda: _signed(payload=b'{"sub":"\xff","iss":"x","exp":1}'), _rsa_set, {}, reasons.INVALID_PAYLOAD),
    ("sub missing", lambda: _signed(claims(sub=None)), _rsa_set, {}, reasons.INVALID_PAYLOAD),
    ("sub a number", lambda: _signed(claims(sub=5)), _rsa_set, {}, reasons.INVALID_PAYLOAD),
    ("iss missing", lambda: _signed(claims(iss=None)), _rsa_set, {}, reasons.INVALID_PAYLOAD),
    ("exp missing", lambda: _signed(claims(exp=None)), _rsa_set, {}, reasons.INVALID_PAYLOAD),
    ("exp float", lambda: _signed(claims(exp=NOW + 600.0)), _rsa_set, {}, reasons.INVALID_PAYLOAD),
    ("exp bool", lambda: _signed(claims(exp=True)), _rsa_set, {}, reasons.INVALID_PAYLOAD),
    ("exp string", lambda: _signed(claims(exp=str(NOW + 600))), _rsa_set, {}, reasons.INVALID_PAYLOAD),
    ("exp huge", lambda: _signed(claims(exp=10**30)), _rsa_set, {}, reasons.INVALID_PAYLOAD),
    ("exp negative", lambda: _signed(claims(exp=-1)), _rsa_set, {}, reasons.INVALID_PAYLOAD),
    ("nbf float", lambda: _signed(claims(nbf=1.5)), _rsa_set, {}, reasons.INVALID_PAYLOAD),
    ("sign_payload not a list", _valid, _rsa_set, {"sign_payload": "abc"}, reasons.INVALID_SIGN_PAYLOAD),
    ("sign_payload out of range", _valid, _rsa_set, {"sign_payload": [256]}, reasons.INVALID_SIGN_PAYLOAD),
    ("fatxn missing", lambda: _signed(claims(fatxn=None)), _rsa_set, {}, reasons.FATXN_MISMATCH),
    ("fatxn one byte off", lambda: _signed(claims(fatxn=SIGN_PAYLOAD[:-1] + [SIGN_PAYLOAD[-1] ^ 1])), _rsa_set, {}, reasons.FATXN_MISMATCH),
    ("fatxn one byte short", lambda: _signed(claims(fatxn=SIGN_PAYLOAD[:-1])), _rsa_set, {}, reasons.FATXN_MISMATCH),
    ("fatxn floats", lambda: _signed(claims(fatxn=[float(b) for b in SIGN_PAYLOAD])), _rsa_set, {}, reasons.FATXN_MISMATCH),
    ("fatxn bools", lambda: _signed(claims(fatxn=[True])), _rsa_set, {"sign_payload": [1]}, reasons.FATXN_MISMATCH),
    ("fatxn string", lambda: _signed(claims(fatxn=b64url(bytes(SIGN_PAYLOAD)))), _rsa_set, {}, reasons.FATXN_MISMATCH),
    ("aud missing", _valid, _rsa_set, {"audience": "app"}, reasons.AUDIENCE_MISMATCH),
    ("aud other", lambda: _signed(claims(aud="other")), _rsa_set, {"audience": "app"}, reasons.AUDIENCE_MISMATCH),
    ("aud list without", lambda: _signed(claims(aud=["x", "y"])), _rsa_set, {"audience": "app"}, reasons.AUDIENCE_MISMATCH),
    ("aud wrong type", lambda: _signed(claims(aud={"app": 1})), _rsa_set, {"audience": "app"}, reasons.AUDIENCE_MISMATCH),
    ("aud list of non-strings", lambda: _signed(claims(aud=[1, ["app"]])), _rsa_set, {"audience": "app"}, reasons.AUDIENCE_MISMATCH),
    ("extra hook rejects", _valid, _rsa_set, {"extra_claims_check": lambda c, p: "Receiver not allowed"}, "Receiver not allowed"),
    ("extra hook rejects vaguely", _valid, _rsa_set, {"extra_claims_check": lambda c, p: 7}, reasons.CUSTOM_CLAIMS_REJECTED),
    ("expired at exp", lambda: _signed(claims(exp=NOW)), _rsa_set, {}, reasons.TOKEN_EXPIRED),
    ("expired long ago", lambda: _signed(claims(exp=0)), _rsa_set, {}, reasons.TOKEN_EXPIRED),
    ("nbf in the future", lambda: _signed(claims(nbf=NOW + 1)), _rsa_set, {}, reasons.TOKEN_NOT_YET_VALID),
    ("issuer other", lambda: _signed(claims(iss="https://evil.example/")), _rsa_set, {}, reasons.ISSUER_MISMATCH),
    ("issuer without trailing slash", lambda: _signed(claims(iss=ISSUER.rstrip("/"))), _rsa_set, {}, reasons.ISSUER_MISMATCH),
    ("issuer not in allow-list", _valid, _rsa_set, {"issuers": ["https://other/"]}, reasons.ISSUER_MISMATCH),
    ("issuer allow-list empty", _valid, _rsa_set, {"issuers": []}, reasons.ISSUER_MISMATCH),
    ("expected issuer missing", _valid, _rsa_set, {"issuer": None}, reasons.ISSUER_MISMATCH),
    ("sub empty", lambda: _signed(claims(sub="")), _rsa_set, {}, reasons.INVALID_SUBJECT),
    ("sub with #", lambda: _signed(claims(sub="a#b")), _rsa_set, {}, reasons.INVALID_SUBJECT),
    ("sub 257 bytes", lambda: _signed(claims(sub="s" * 257)), _rsa_set, {}, reasons.INVALID_SUBJECT),
    ("sub 129 two-byte chars", lambda: _signed(claims(sub="é" * 129)), _rsa_set, {}, reasons.INVALID_SUBJECT),
    ("sub lone surrogate escape", lambda: _signed(payload=json.dumps(claims(sub="\ud800")).encode()), _rsa_set, {}, reasons.INVALID_SUBJECT),
]


@pytest.mark.parametrize("name,make_token,make_keys,options,expected", CASES, ids=[case[0] for case in CASES])
def test_each_rule_rejects_with_its_reason(name, make_token, make_keys, options, expected):
    assert verify(make_token(), make_keys(), **options) == (False, expected)


def test_reasons_used_are_the_documented_ones():
    custom = {"Receiver not allowed"}
    assert {case[4] for case in CASES} - custom <= set(reasons.JWT_REASONS)


def test_size_limit_is_inclusive():
    token = _token_of_exactly_7168_bytes()
    assert verify(token, _rsa_set()) == (True, SUBJECT)


@pytest.mark.parametrize(
    "sub",
    ["s" * 256, "é" * 128, "€" * 85, "😀" * 64, "a|b@c.d", "\u0000"],
    ids=["256-ascii", "256-two-byte", "255-three-byte", "256-four-byte", "punctuation", "nul"],
)
def test_subject_limits_accept(sub):
    assert verify(_signed(claims(sub=sub)), _rsa_set()) == (True, sub)


def test_escaped_astral_subject_accepts():
    # json.dumps escapes 😀 as the pair \ud83d\ude00 (see claims._join_surrogate_pairs).
    token = _signed(payload=json.dumps(claims(sub="😀" * 64)).encode())
    assert verify(token, _rsa_set()) == (True, "😀" * 64)


@pytest.mark.parametrize(
    "sub,expected",
    [
        ("\ud83d\ude00", "😀"),  # what MicroPython's json makes of the escaped pair
        ("a\ud83d\ude00b\U0010ffff", "a😀b\U0010ffff"),
        ("\udbff\udfff" * 64, "\U0010ffff" * 64),
    ],
)
def test_separately_encoded_surrogate_pairs_are_joined(sub, expected):
    assert guard_core.claims.check_subject({"sub": sub}) == (expected, None)


@pytest.mark.parametrize("sub", ["\ud83d", "\ude00\ud83d", "\ud83dx\ude00", "\ud83d\ude00" * 65, "\ud83d\ude00#"])
def test_unpaired_or_oversized_surrogates_are_refused(sub):
    assert guard_core.claims.check_subject({"sub": sub}) == (None, reasons.INVALID_SUBJECT)


def test_nbf_now_and_exp_next_second_accept():
    token = _signed(claims(nbf=NOW, exp=NOW + 1))
    assert verify(token, _rsa_set()) == (True, SUBJECT)


def test_nbf_is_optional():
    assert verify(_signed(claims(nbf=None)), _rsa_set()) == (True, SUBJECT)


def test_audience_string_and_list_accept():
    assert verify(_signed(claims(aud="app")), _rsa_set(), audience="app") == (True, SUBJECT)
    assert verify(_signed(claims(aud=["x", "app"])), _rsa_set(), audience="app") == (True, SUBJECT)
    # Without a configured audience, aud is not looked at.
    assert verify(_signed(claims(aud=5)), _rsa_set()) == (True, SUBJECT)


def test_audience_list_skips_non_string_members_as_upstream_does():
    """auth0-guard (b9c1fbc) `audience_matches`: any string member equal to the audience."""
    assert verify(_signed(claims(aud=[1, None, {"a": 1}, "app"])), _rsa_set(), audience="app") == (True, SUBJECT)
    assert verify(_signed(claims(aud=[1, ["app"], {"app": 1}])), _rsa_set(), audience="app") == (
        False, reasons.AUDIENCE_MISMATCH)


def test_allow_list_containing_issuer_accepts():
    assert verify(_valid(), _rsa_set(), issuers=["https://x/", ISSUER]) == (True, SUBJECT)


def test_extra_hook_sees_claims_and_sign_payload():
    seen = []

    def hook(token_claims, sign_payload):
        seen.append((token_claims["sub"], sign_payload))
        return None

    assert verify(_valid(), _rsa_set(), extra_claims_check=hook) == (True, SUBJECT)
    assert seen == [(SUBJECT, SIGN_PAYLOAD)]


def test_extra_hook_raising_reaches_the_shell():
    """The core has no safety net of its own: the shell's (guard.py) answers
    `Verification error` (tests/guard: a custom rule that raises)."""
    def hook(token_claims, sign_payload):
        raise RuntimeError("bug in a policy")

    with pytest.raises(RuntimeError):
        verify(_valid(), _rsa_set(), extra_claims_check=hook)


def test_hook_not_reached_before_builtin_custom_claims():
    def hook(token_claims, sign_payload):
        raise AssertionError("must not run")

    token = _signed(claims(fatxn=[1]))
    assert verify(token, _rsa_set(), extra_claims_check=hook) == (False, reasons.FATXN_MISMATCH)


def test_bad_now_is_an_error_not_an_exception():
    assert verify(_valid(), _rsa_set(), now="soon") == (False, reasons.VERIFICATION_ERROR)
    assert verify(_valid(), _rsa_set(), now=float(NOW)) == (False, reasons.VERIFICATION_ERROR)


def test_bad_host_sha256_is_not_an_exception():
    result = verify(_valid(), _rsa_set(), sign_payload=SIGN_PAYLOAD, sha256=lambda data: "x")
    assert result == (False, reasons.INVALID_SIGNATURE)


# --- kid selection -----------------------------------------------------------


def test_kid_selects_the_named_key_only():
    signer, other = rsa_private_key(2048), rsa_private_key(2048, index=1)
    key_set = [rs256_key(other, kid="other"), rs256_key(signer, kid="signer")]
    token = sign_jws(rs256_header(kid="signer"), claims(), signer)
    assert verify(token, key_set) == (True, SUBJECT)
    # Naming the wrong stored key: that key alone is tried.
    misdirected = sign_jws(rs256_header(kid="other"), claims(), signer)
    assert verify(misdirected, key_set) == (False, reasons.INVALID_SIGNATURE)


def test_unknown_or_absent_kid_tries_every_key_of_the_algorithm():
    signer, other = rsa_private_key(2048), rsa_private_key(2048, index=1)
    key_set = [rs256_key(other, kid="other"), rs256_key(signer, kid="signer")]
    assert verify(sign_jws(rs256_header(kid="unknown"), claims(), signer), key_set) == (True, SUBJECT)
    assert verify(sign_jws(rs256_header(), claims(), signer), key_set) == (True, SUBJECT)


def test_rotation_window_switches_keys_at_the_instant():
    old, new = rsa_private_key(2048), rsa_private_key(2048, index=1)
    switch = NOW
    key_set = [rs256_key(old, kid="old", not_after=switch), rs256_key(new, kid="new", not_before=switch)]
    old_token = sign_jws(rs256_header(), claims(exp=switch + 100), old)
    new_token = sign_jws(rs256_header(), claims(exp=switch + 100), new)
    assert verify(old_token, key_set, now=switch - 1) == (True, SUBJECT)
    assert verify(new_token, key_set, now=switch - 1) == (False, reasons.INVALID_SIGNATURE)
    assert verify(old_token, key_set, now=switch) == (False, reasons.INVALID_SIGNATURE)
    assert verify(new_token, key_set, now=switch) == (True, SUBJECT)


def test_a_token_of_one_modulus_size_verifies_beside_keys_of_other_sizes():
    signer = rsa_private_key(3072)
    key_set = [rs256_key(rsa_private_key(2048), kid="a"), rs256_key(rsa_private_key(4096), kid="b"), rs256_key(signer, kid="c")]
    assert verify(sign_jws(rs256_header(kid="c"), claims(), signer), key_set) == (True, SUBJECT)
    # Unpinned, the three would cost 4 + 16 + 9 units of work: a kid is required.
    assert verify(sign_jws(rs256_header(), claims(), signer), key_set) == (False, reasons.KEY_ID_REQUIRED)


@pytest.mark.parametrize(
    "sizes,allowed",
    [
        ((2048,) * 3, True),  # 3 x 4 units
        ((2048,) * 4, False),
        ((3072,), True),  # 9
        ((4096,), True),  # 16 units, but a lone key is always tried
        ((4096, 2048), False),
        ((3072, 2048), False),  # 13
    ],
)
def test_unpinned_keys_are_capped_by_the_work_they_cost(sizes, allowed):
    signer = rsa_private_key(sizes[-1], index=len(sizes))
    key_set = [rs256_key(rsa_private_key(bits, index=i), kid="k%d" % i) for i, bits in enumerate(sizes[:-1])]
    key_set.append(rs256_key(signer, kid="signer"))
    assert keys.rs256_work(key_set) == sum((bits // 1024) ** 2 for bits in sizes)
    expected = (True, SUBJECT) if allowed else (False, reasons.KEY_ID_REQUIRED)
    assert verify(_signed(header=rs256_header(), key=signer), key_set) == expected
    # Naming the key always works: one exponentiation.
    assert verify(_signed(header=rs256_header(kid="signer"), key=signer), key_set) == (True, SUBJECT)


# --- verify_custom_claims view -------------------------------------------------


def test_verify_custom_claims_view():
    payload = list(json.dumps(claims(aud="app")).encode())
    assert guard_core.verify_custom_claims(payload, SIGN_PAYLOAD) == (True, "")
    assert guard_core.verify_custom_claims(payload, SIGN_PAYLOAD, audience="app") == (True, "")
    assert guard_core.verify_custom_claims(payload, SIGN_PAYLOAD, audience="x") == (False, reasons.AUDIENCE_MISMATCH)
    assert guard_core.verify_custom_claims(payload, SIGN_PAYLOAD[:-1]) == (False, reasons.FATXN_MISMATCH)
    assert guard_core.verify_custom_claims("nope", SIGN_PAYLOAD) == (False, reasons.INVALID_PAYLOAD)
    assert guard_core.verify_custom_claims(list(b"[1]"), SIGN_PAYLOAD) == (False, reasons.INVALID_PAYLOAD)
    assert guard_core.verify_custom_claims(payload, SIGN_PAYLOAD, extra_claims_check=lambda c, p: "nope") == (
        False,
        "nope",
    )


# --- issuer helpers -------------------------------------------------------------


@pytest.mark.parametrize(
    "guard_id,expected",
    [
        ("jwt#https://login.example.com/", "https://login.example.com/"),
        ("jwt#a#b", "a#b"),
        ("https://login.example.com/", "https://login.example.com/"),
        ("#", ""),
        ("", ""),
        (None, None),
        (5, None),
    ],
)
def test_issuer_from_guard_id(guard_id, expected):
    assert guard_core.issuer_from_guard_id(guard_id) == expected


def test_expected_issuer_prefers_router_issuer():
    assert guard_core.expected_issuer(issuer="iss", guard_id="jwt#other") == "iss"
    assert guard_core.expected_issuer(guard_id="jwt#other") == "other"
    assert guard_core.expected_issuer() is None


def test_kidless_token_needs_a_kid_beyond_the_unpinned_cap():
    cap = keys.MAX_UNPINNED_RS256_WORK // 4  # 2048-bit keys: 4 units each
    signer = rsa_private_key(2048, cap - 1)
    key_set = [rs256_key(rsa_private_key(2048, i), kid="k%d" % i) for i in range(cap)]
    unpinned = _signed(header=rs256_header(), key=signer)
    assert verify(unpinned, key_set) == (True, SUBJECT)
    key_set.append(rs256_key(rsa_private_key(2048, cap), kid="k%d" % cap))
    assert verify(unpinned, key_set) == (False, reasons.KEY_ID_REQUIRED)
    # A kid naming no stored key is unpinned too; one naming a stored key still verifies.
    assert verify(_signed(header=rs256_header(kid="unknown"), key=signer), key_set) == (False, reasons.KEY_ID_REQUIRED)
    assert verify(_signed(header=rs256_header(kid="k%d" % (cap - 1)), key=signer), key_set) == (True, SUBJECT)


def test_eddsa_keys_are_not_capped(ed_key):
    key_set = [eddsa_key(ed25519_private_key(i), kid="e%d" % i) for i in range(1, 8)] + [eddsa_key(ed_key)]
    token = sign_jws(eddsa_header(), claims(), ed_key)
    assert verify(token, key_set) == (True, SUBJECT)
