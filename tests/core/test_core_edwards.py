"""Ed25519 key safety (guard_core.edwards), checked against curve arithmetic
written here from the curve's definition, independently of the module."""
import pytest
from cryptography.hazmat.primitives import serialization
from cryptography.hazmat.primitives.asymmetric import ed25519

from tests.core.core_support import ed25519_private_key
from guard_core import edwards, reasons
from guard_core.keys import validate_public_key

P = 2**255 - 19
D = -121665 * pow(121666, P - 2, P) % P
SQRT_M1 = pow(2, (P - 1) // 4, P)
IDENTITY = (0, 1)


def add(a, b):
    (x1, y1), (x2, y2) = a, b
    t = D * x1 * x2 * y1 * y2 % P
    return ((x1 * y2 + x2 * y1) * pow(1 + t, P - 2, P) % P, (y1 * y2 + x1 * x2) * pow(1 - t, P - 2, P) % P)


def times(k, point):
    result = IDENTITY
    while k:
        if k & 1:
            result = add(result, point)
        point = add(point, point)
        k >>= 1
    return result


def decode(encoded):
    """RFC 8032 5.1.3, without its canonicity check (so it decodes y >= p too)."""
    y = int.from_bytes(encoded, "little") & ((1 << 255) - 1)
    sign = encoded[31] >> 7
    u, v = (y * y - 1) % P, (D * y * y + 1) % P
    x = u * pow(v, 3, P) * pow(u * pow(v, 7, P), (P - 5) // 8, P) % P
    if v * x * x % P == (-u) % P:
        x = x * SQRT_M1 % P
    if v * x * x % P != u % P:
        return None
    if x & 1 != sign:
        x = (P - x) % P
    return x, y % P


def encode(point):
    x, y = point
    return (y | ((x & 1) << 255)).to_bytes(32, "little")


def _torsion_points():
    """The eight points of order dividing 8: [L]Q for a point Q of the full
    group, L the prime order of the base point, walked through its multiples."""
    order_l = 2**252 + 27742317777372353535851937790883648493
    for candidate in range(2, 200):
        q = decode(bytes([candidate]) + bytes(31))
        if q is None:
            continue
        t = times(order_l, q)
        if times(4, t) != IDENTITY:  # t has order exactly 8: its multiples are all eight
            return [times(i, t) for i in range(8)]
    raise AssertionError("no generator of the torsion subgroup found")


TORSION = _torsion_points()


def test_the_torsion_subgroup_has_eight_distinct_points():
    assert len(set(TORSION)) == 8
    assert all(times(8, point) == IDENTITY for point in TORSION)


@pytest.mark.parametrize("index", range(8))
def test_each_small_order_point_is_refused_in_every_encoding(index):
    x, y = TORSION[index]
    encodings = {encode((x, y))}
    encodings.add((y | (((x & 1) ^ 1) << 255)).to_bytes(32, "little"))  # the other sign (non-canonical for x = 0)
    if y + P < 2**255:
        encodings.add((y + P).to_bytes(32, "little"))  # y + p: non-canonical
    for encoded in encodings:
        assert not edwards.is_safe_public_key(encoded), encoded.hex()
        key = {"alg": "EdDSA", "x": list(encoded)}
        assert validate_public_key(key) == (None, reasons.KEY_UNSAFE_ED25519)


def test_non_canonical_y_is_refused_for_every_value_from_p():
    for y in range(P, 2**255):
        for sign in (0, 1):
            assert not edwards.is_safe_public_key((y | (sign << 255)).to_bytes(32, "little"))


def test_points_off_the_curve_are_refused():
    off = [bytes([b]) * 32 for b in range(256) if decode(bytes([b]) * 32) is None]
    assert off  # e.g. [7] * 32
    for encoded in off:
        assert not edwards.is_safe_public_key(encoded)


def test_real_keys_are_accepted():
    for index in range(32):
        public = ed25519_private_key(index).public_key().public_bytes(
            serialization.Encoding.Raw, serialization.PublicFormat.Raw
        )
        assert edwards.is_safe_public_key(public)
        assert decode(public) is not None
    fresh = ed25519.Ed25519PrivateKey.generate().public_key()
    assert edwards.is_safe_public_key(fresh.public_bytes(serialization.Encoding.Raw, serialization.PublicFormat.Raw))


def test_a_mixed_order_point_is_a_valid_point_and_accepted():
    """A large-order point plus a torsion point is not small order: no forgery
    without the secret, so it is not refused (nor could it be cheaply)."""
    public = ed25519_private_key(0).public_key().public_bytes(serialization.Encoding.Raw, serialization.PublicFormat.Raw)
    mixed = encode(add(decode(public), TORSION[1]))
    assert edwards.is_safe_public_key(mixed)
