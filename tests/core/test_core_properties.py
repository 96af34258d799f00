"""Property tests: mutated tokens agree with `cryptography`, and nothing raises."""

import json

from hypothesis import given
from hypothesis import strategies as st

import guard_core
from tests.core.core_support import (
    HYPOTHESIS,
    ISSUER,
    NOW,
    PRE_SIGNATURE_REASONS,
    SIGN_PAYLOAD,
    SUBJECT,
    b64url,
    claims,
    cryptography_signature_valid,
    eddsa_header,
    eddsa_key,
    ed25519_private_key,
    ed25519_verify,
    rs256_header,
    rs256_key,
    rsa_private_key,
    sha256,
    sign_jws,
    verify,
)
from guard_core import reasons

ALPHABET = "ABCDEFGHIJKLMNOPQRSTUVWXYZabcdefghijklmnopqrstuvwxyz0123456789-_"


def _signers():
    return {
        "rsa2048": rsa_private_key(2048),
        "rsa3072": rsa_private_key(3072),
        "rsa4096": rsa_private_key(4096),
        "eddsa": ed25519_private_key(),
    }


def _key_set(name, private_key):
    return [eddsa_key(private_key)] if name == "eddsa" else [rs256_key(private_key)]


def _header(name):
    return eddsa_header() if name == "eddsa" else rs256_header()


def _mutate(token, mutation, segment, position, replacement, other_segment):
    parts = token.split(".")
    target = parts[segment]
    at = position % (len(target) + 1)
    if mutation == "substitute" and target:
        at = position % len(target)
        parts[segment] = target[:at] + replacement + target[at + 1 :]
    elif mutation == "insert":
        parts[segment] = target[:at] + replacement + target[at:]
    elif mutation == "delete" and target:
        at = position % len(target)
        parts[segment] = target[:at] + target[at + 1 :]
    elif mutation == "truncate":
        return token[: position % (len(token) + 1)]
    elif mutation == "swap":
        parts[segment], parts[other_segment] = parts[other_segment], parts[segment]
    elif mutation == "reencode":
        # Same JSON meaning, different bytes: the signature no longer covers it.
        try:
            decoded = json.loads(guard_core.b64url.decode(parts[segment].encode()) or b"null") if segment < 2 else None
        except ValueError:
            decoded = None
        if isinstance(decoded, dict):
            parts[segment] = b64url(json.dumps(decoded, indent=1).encode())
    return ".".join(parts)


@HYPOTHESIS
@given(
    signer=st.sampled_from(["rsa2048", "rsa3072", "rsa4096", "eddsa"]),
    mutation=st.sampled_from(["substitute", "insert", "delete", "truncate", "swap", "reencode"]),
    segment=st.integers(min_value=0, max_value=2),
    other_segment=st.integers(min_value=0, max_value=2),
    position=st.integers(min_value=0, max_value=2000),
    replacement=st.sampled_from(list(ALPHABET) + ["=", "+", "/", ".", " ", "é", "AA", "\x00"]),
)
def test_signature_verdict_agrees_with_cryptography(signer, mutation, segment, other_segment, position, replacement):
    private_key = _signers()[signer]
    token = sign_jws(_header(signer), claims(), private_key)
    mutated = _mutate(token, mutation, segment, position, replacement, other_segment)
    accepted_by_core, detail = verify(mutated, _key_set(signer, private_key))
    oracle = cryptography_signature_valid(mutated, private_key)
    if oracle is None:
        # Not a well-formed token by the independent reference: the core must
        # refuse it before or at the signature (a payload segment is only
        # decoded after the signature, so bad payload characters surface as an
        # invalid signature).
        assert not accepted_by_core
        assert detail in PRE_SIGNATURE_REASONS | {reasons.INVALID_SIGNATURE}, detail
        return
    signature_accepted = accepted_by_core or detail not in PRE_SIGNATURE_REASONS | {reasons.INVALID_SIGNATURE}
    assert signature_accepted is oracle, (mutated, detail)
    if oracle and mutated == token:
        assert (accepted_by_core, detail) == (True, SUBJECT)


@HYPOTHESIS
@given(
    signer=st.sampled_from(["rsa2048", "eddsa"]),
    key_index=st.integers(min_value=0, max_value=31),
    bit=st.integers(min_value=0, max_value=7),
)
def test_mutated_stored_keys_reject(signer, key_index, bit):
    private_key = _signers()[signer]
    token = sign_jws(_header(signer), claims(), private_key)
    key = _key_set(signer, private_key)[0]
    field = "x" if signer == "eddsa" else "n"
    material = list(key[field])
    material[key_index % len(material)] ^= 1 << bit
    key[field] = material
    key_set, reason = guard_core.validate_public_keys([key])
    if reason is not None:
        return  # e.g. the flip made n even: refused at set time
    # A different key cannot verify the original signature (cryptography agrees
    # by construction: these are unrelated public keys).
    assert verify(token, key_set) == (False, reasons.INVALID_SIGNATURE)


ANY_VALUE = st.recursive(
    st.none() | st.booleans() | st.integers() | st.floats() | st.text(max_size=20) | st.binary(max_size=20),
    lambda children: st.lists(children, max_size=4) | st.dictionaries(st.text(max_size=5), children, max_size=4),
    max_leaves=12,
)

TOKENISH = st.lists(
    st.text(alphabet=ALPHABET + "=+/ .\x00é", max_size=60), min_size=0, max_size=5
).map(".".join)


def _assert_rejected_cleanly(result):
    assert isinstance(result, tuple) and len(result) == 2
    ok, detail = result
    assert ok is False
    assert detail in reasons.JWT_REASONS


@HYPOTHESIS
@given(token=ANY_VALUE | TOKENISH | st.text(max_size=200))
def test_garbage_tokens_never_raise(token):
    key_set = [rs256_key(rsa_private_key(2048)), eddsa_key(ed25519_private_key())]
    _assert_rejected_cleanly(verify(token, key_set))


@HYPOTHESIS
@given(header=ANY_VALUE, payload=ANY_VALUE)
def test_json_garbage_in_signed_segments_never_raises(header, payload):
    private_key = rsa_private_key(2048)
    try:
        header_bytes = json.dumps(header).encode()
        payload_bytes = json.dumps(payload).encode()
    except (TypeError, ValueError):
        return  # bytes values are not JSON
    token = sign_jws(header_bytes, payload_bytes, private_key)
    result = verify(token, [rs256_key(private_key)])
    if result[0]:
        assert isinstance(payload, dict) and result[1] == payload["sub"]
    else:
        assert result[1] in reasons.JWT_REASONS


@HYPOTHESIS
@given(
    sign_payload=ANY_VALUE,
    public_keys=ANY_VALUE,
    issuer=ANY_VALUE,
    now=ANY_VALUE,
    audience=ANY_VALUE,
    issuers=ANY_VALUE,
)
def test_garbage_arguments_never_raise(sign_payload, public_keys, issuer, now, audience, issuers):
    token = sign_jws(rs256_header(), claims(), rsa_private_key(2048))
    result = guard_core.verify_jwt(
        (token, sign_payload, issuer), (public_keys, audience, issuers, False, None), (now, sha256, ed25519_verify)
    )
    assert isinstance(result, tuple) and len(result) == 2 and result[0] is False
    assert result[1] in reasons.JWT_REASONS


@HYPOTHESIS
@given(keys=ANY_VALUE)
def test_key_validation_never_raises(keys):
    normalised, reason = guard_core.validate_public_keys(keys)
    assert (normalised is None) != (reason is None)


@HYPOTHESIS
@given(payload=ANY_VALUE, sign_payload=ANY_VALUE, audience=ANY_VALUE)
def test_verify_custom_claims_never_raises(payload, sign_payload, audience):
    as_list = list(json.dumps(payload, default=str).encode())
    for jwt_payload in (payload, as_list):
        ok, detail = guard_core.verify_custom_claims(jwt_payload, sign_payload, audience=audience)
        assert ok is False or detail == ""


def test_valid_token_still_valid_with_all_defaults():
    token = sign_jws(rs256_header(), claims(), rsa_private_key(2048))
    assert guard_core.verify_jwt(
        (token, list(SIGN_PAYLOAD), ISSUER), ([rs256_key(rsa_private_key(2048))], None, None, False, None),
        (NOW, sha256, ed25519_verify),
    ) == (True, SUBJECT)
