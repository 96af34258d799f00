"""RS256: RSASSA-PKCS1-v1_5 with SHA-256 (RFC 8017 section 8.2.2).

The check re-creates the one valid encoding `00 01 FF..FF 00 DigestInfo hash`
and compares it whole with the recovered message, so there is no parser to
fool (no BER leniency, no garbage after the hash, padding length fixed by the
modulus size and always >= 8 bytes of FF for the sizes we accept).
"""

from . import values
from .keys import RS256_MODULUS_SIZES as MODULUS_SIZES

PUBLIC_EXPONENT = 65537

# DER of DigestInfo{ AlgorithmIdentifier{ sha256, NULL }, OCTET STRING(32) }.
DIGEST_INFO_SHA256 = (
    b"\x30\x31\x30\x0d\x06\x09\x60\x86\x48\x01\x65\x03\x04\x02\x01\x05\x00\x04\x20"
)
_DIGEST_SIZE = 32
_FIXED_OVERHEAD = 3 + len(DIGEST_INFO_SHA256) + _DIGEST_SIZE  # 00 01 .. 00 + T


def encoded_message(digest, size):
    """EMSA-PKCS1-v1_5 encoding of a SHA-256 `digest` for a `size`-byte modulus."""
    return b"\x00\x01" + b"\xff" * (size - _FIXED_OVERHEAD) + b"\x00" + DIGEST_INFO_SHA256 + digest


def verify_digest(signature, digest, modulus):
    """True if `signature` is a valid RS256 signature of the message whose
    SHA-256 is `digest`, under the key with big-endian modulus `modulus`.

    All arguments are bytes. A signature whose length is not the modulus
    length is invalid, as RFC 8017 8.2.2 step 1 and OpenSSL say; upstream's
    base-jwt-guard (rsa/rs256.rs) accepts a shorter one that verifies, since
    it only requires the integer to be < n.
    """
    size = len(modulus)
    if size not in MODULUS_SIZES or len(signature) != size or len(digest) != _DIGEST_SIZE:
        return False
    recovered = values.rsa_public_pow(signature, modulus)
    # gas-mark: exponentiation
    return recovered is not None and recovered == encoded_message(digest, size)

# gas-mark: import guard_core.rs256
