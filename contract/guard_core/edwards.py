"""Which 32-byte strings are safe Ed25519 public keys (admin side only).

An EdDSA key is a point of edwards25519 encoded as its y coordinate (little
endian, 255 bits) and the sign of x (the top bit). Three kinds of encodings
are refused when a key is stored:

* non-canonical ones: y not below p (y and y + p name the same field element,
  so two byte strings would stand for one key);
* points not on the curve: no signature verifies against them, so such a key
  can only be a mistake;
* points of small order (the eight points whose order divides 8: y is 1, -1,
  0 or ±Y8). For such a key A, [k]A takes at most eight values whatever the
  message, so a signature made without any secret verifies for a fraction of
  all messages, and a verifier that accepts it lets anyone forge tokens.

Only validate_public_key imports this module, so a verify never pays for it.
"""

P = 2**255 - 19
# The curve constant d = -121665 / 121666 mod p.
D = 37095705934669439343138083508754565189542113879843219016388785533085940283555
# The y coordinate of two of the four points of order 8 (the other two have -Y8).
Y8 = 0x7A03AC9277FDC74EC6CC392CFA53202A0F67100D760B3CBA4FD84D3D706A17C7
SMALL_ORDER_Y = (1, P - 1, 0, Y8, P - Y8)

_Y_MASK = (1 << 255) - 1


def is_safe_public_key(encoded):
    """True for the canonical encoding of a curve point of large order."""
    if type(encoded) is not bytes or len(encoded) != 32:
        return False
    y = int.from_bytes(encoded, "little") & _Y_MASK
    if y >= P or y in SMALL_ORDER_Y:
        return False
    # x² = (y² - 1) / (d·y² + 1) must have a square root (Euler's criterion).
    # The denominator is never 0 for edwards25519 (d is not a square).
    y2 = y * y % P
    x2 = (y2 - 1) * pow((D * y2 + 1) % P, P - 2, P) % P
    # x = 0 only for y = ±1, refused above, so x2 is a non-zero square here.
    return pow(x2, (P - 1) // 2, P) == 1
