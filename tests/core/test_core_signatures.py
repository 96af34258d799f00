"""RS256 and EdDSA primitives against `cryptography` as the oracle."""

import hashlib

import pytest
from cryptography.exceptions import InvalidSignature
from cryptography.hazmat.primitives import hashes
from cryptography.hazmat.primitives.asymmetric import padding, rsa
from hypothesis import given
from hypothesis import strategies as st

from tests.core.core_support import HYPOTHESIS, ed25519_private_key, ed25519_verify, modulus_bytes, rsa_private_key
from guard_core import eddsa, rs256

MESSAGE = b"eyJhbGciOiJSUzI1NiJ9.eyJzdWIiOiJ4In0"


def _cryptography_accepts(private_key, signature, message):
    try:
        private_key.public_key().verify(signature, message, padding.PKCS1v15(), hashes.SHA256())
    except InvalidSignature:
        return False
    return True


def _raw_rsa_sign(private_key, encoded):
    """s = EM^d mod n for an arbitrary EM: lets us forge 'signatures' over
    deliberately wrong encodings to prove the strict comparison."""
    numbers = private_key.private_numbers()
    n = numbers.public_numbers.n
    size = private_key.key_size // 8
    return pow(int.from_bytes(encoded, "big"), numbers.d, n).to_bytes(size, "big")


def _digest(message):
    return hashlib.sha256(message).digest()


def test_valid_signature_all_sizes(rsa_key_any_size):
    signature = rsa_key_any_size.sign(MESSAGE, padding.PKCS1v15(), hashes.SHA256())
    assert rs256.verify_digest(signature, _digest(MESSAGE), modulus_bytes(rsa_key_any_size))


def test_other_message_fails(rsa_key_any_size):
    signature = rsa_key_any_size.sign(MESSAGE, padding.PKCS1v15(), hashes.SHA256())
    assert not rs256.verify_digest(signature, _digest(MESSAGE + b"x"), modulus_bytes(rsa_key_any_size))


def test_other_key_fails():
    signer, other = rsa_private_key(2048), rsa_private_key(2048, index=1)
    signature = signer.sign(MESSAGE, padding.PKCS1v15(), hashes.SHA256())
    assert not rs256.verify_digest(signature, _digest(MESSAGE), modulus_bytes(other))


def test_signature_length_must_equal_modulus_length(rsa_key):
    modulus = modulus_bytes(rsa_key)
    signature = rsa_key.sign(MESSAGE, padding.PKCS1v15(), hashes.SHA256())
    digest = _digest(MESSAGE)
    assert not rs256.verify_digest(signature[1:], digest, modulus)
    assert not rs256.verify_digest(signature + b"\x00", digest, modulus)
    assert not rs256.verify_digest(b"\x00" + signature, digest, modulus)
    assert not rs256.verify_digest(b"", digest, modulus)


def test_signature_not_below_modulus_fails(rsa_key):
    modulus = modulus_bytes(rsa_key)
    n = int.from_bytes(modulus, "big")
    digest = _digest(MESSAGE)
    for s in (n, n + 1, 2 ** (8 * len(modulus)) - 1):
        assert not rs256.verify_digest(s.to_bytes(len(modulus), "big"), digest, modulus)
    assert not rs256.verify_digest(bytes(len(modulus)), digest, modulus)  # s = 0
    assert not rs256.verify_digest((1).to_bytes(len(modulus), "big"), digest, modulus)


def test_exact_encoding_via_raw_rsa_is_accepted(rsa_key):
    digest = _digest(MESSAGE)
    size = rsa_key.key_size // 8
    signature = _raw_rsa_sign(rsa_key, rs256.encoded_message(digest, size))
    assert rs256.verify_digest(signature, digest, modulus_bytes(rsa_key))
    assert _cryptography_accepts(rsa_key, signature, MESSAGE)


@pytest.mark.parametrize(
    "mangle",
    [
        # Block type 2 (encryption padding) instead of 1.
        lambda em: em[:1] + b"\x02" + em[2:],
        # DigestInfo without the NULL parameters, two more FF to keep the length.
        lambda em: em[:2] + b"\xff\xff" + em[2:-51] + b"\x30\x2f\x30\x0b\x06\x09\x60\x86\x48\x01\x65\x03\x04\x02\x01\x04\x20" + em[-32:],
        # SHA-384 OID in an otherwise identical DigestInfo.
        lambda em: em[:-51] + b"\x30\x31\x30\x0d\x06\x09\x60\x86\x48\x01\x65\x03\x04\x02\x02\x05\x00\x04\x20" + em[-32:],
        # Short padding and garbage after the hash (Bleichenbacher 2006 shape).
        lambda em: b"\x00\x01\xff\xff\xff\xff\xff\xff\xff\xff\x00" + em[-51:] + b"\x42" * (len(em) - 62),
        # Separator byte not zero.
        lambda em: em[: len(em) - 52] + b"\x01" + em[len(em) - 51 :],
        # One padding byte not FF.
        lambda em: em[:5] + b"\xfe" + em[6:],
        # Leading byte not zero.
        lambda em: b"\x01" + em[1:],
        # Digest flipped.
        lambda em: em[:-1] + bytes([em[-1] ^ 1]),
    ],
    ids=["block-type-2", "no-null-params", "sha384-oid", "garbage-after-hash", "bad-separator", "padding-not-ff", "leading-byte", "digest-flip"],
)
def test_non_strict_encodings_are_rejected_like_cryptography(rsa_key, mangle):
    digest = _digest(MESSAGE)
    size = rsa_key.key_size // 8
    encoded = mangle(rs256.encoded_message(digest, size))
    assert len(encoded) == size
    n = rsa_key.public_key().public_numbers().n
    if int.from_bytes(encoded, "big") >= n:
        pytest.skip("mangled encoding not below n for this key")
    signature = _raw_rsa_sign(rsa_key, encoded)
    assert not rs256.verify_digest(signature, digest, modulus_bytes(rsa_key))
    assert not _cryptography_accepts(rsa_key, signature, MESSAGE)


def test_unsupported_modulus_sizes_fail():
    key = rsa.generate_private_key(public_exponent=65537, key_size=1024)
    signature = key.sign(MESSAGE, padding.PKCS1v15(), hashes.SHA256())
    assert not rs256.verify_digest(signature, _digest(MESSAGE), modulus_bytes(key))


@HYPOTHESIS
@given(
    size=st.sampled_from([2048, 3072, 4096]),
    mutation=st.sampled_from(["flip", "truncate", "extend", "replace", "message"]),
    position=st.integers(min_value=0, max_value=10_000),
    bit=st.integers(min_value=0, max_value=7),
    filler=st.binary(min_size=1, max_size=4),
)
def test_mutated_signatures_agree_with_cryptography(size, mutation, position, bit, filler):
    key = rsa_private_key(size)
    message = MESSAGE
    signature = bytearray(key.sign(message, padding.PKCS1v15(), hashes.SHA256()))
    at = position % len(signature)
    if mutation == "flip":
        signature[at] ^= 1 << bit
    elif mutation == "truncate":
        del signature[at:]
    elif mutation == "extend":
        signature[at:at] = filler
    elif mutation == "replace":
        signature[at : at + len(filler)] = filler
    else:
        message = message[: at % len(message)] + filler + message[at % len(message) :]
    signature = bytes(signature)
    expected = _cryptography_accepts(key, signature, message)
    assert rs256.verify_digest(signature, _digest(message), modulus_bytes(key)) is expected


@HYPOTHESIS
@given(position=st.integers(min_value=0, max_value=4095), bit=st.integers(min_value=0, max_value=7))
def test_mutated_keys_agree_with_cryptography(position, bit):
    key = rsa_private_key(2048)
    signature = key.sign(MESSAGE, padding.PKCS1v15(), hashes.SHA256())
    modulus = bytearray(modulus_bytes(key))
    modulus[position % len(modulus)] ^= 1 << bit
    try:
        mutated = rsa.RSAPublicNumbers(65537, int.from_bytes(modulus, "big")).public_key()
        mutated.verify(signature, MESSAGE, padding.PKCS1v15(), hashes.SHA256())
        expected = True
    except (InvalidSignature, ValueError):
        expected = False
    assert rs256.verify_digest(signature, _digest(MESSAGE), bytes(modulus)) is expected


def test_eddsa_valid_and_invalid():
    key = ed25519_private_key()
    public = key.public_key().public_bytes_raw()
    signature = key.sign(MESSAGE)
    assert eddsa.verify(signature, MESSAGE, public, ed25519_verify)
    assert not eddsa.verify(signature, MESSAGE + b"x", public, ed25519_verify)
    assert not eddsa.verify(bytes([signature[0] ^ 1]) + signature[1:], MESSAGE, public, ed25519_verify)


def test_eddsa_lengths_checked_before_host_call():
    calls = []

    def host(signature, message, public_key):
        calls.append(1)
        return True

    assert not eddsa.verify(bytes(63), MESSAGE, bytes(32), host)
    assert not eddsa.verify(bytes(65), MESSAGE, bytes(32), host)
    assert not eddsa.verify(bytes(64), MESSAGE, bytes(31), host)
    assert calls == []
    assert eddsa.verify(bytes(64), MESSAGE, bytes(32), host)
