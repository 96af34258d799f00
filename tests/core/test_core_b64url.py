import base64

import pytest
from hypothesis import given
from hypothesis import strategies as st

from tests.core.core_support import HYPOTHESIS, b64url, reference_b64url_decode
from guard_core import b64url as core_b64url

ALPHABET = "ABCDEFGHIJKLMNOPQRSTUVWXYZabcdefghijklmnopqrstuvwxyz0123456789-_"
# Everything a hostile segment might contain: the URL and standard alphabets,
# padding, whitespace, dots, control and non-ASCII bytes.
HOSTILE_BYTES = st.binary(max_size=40) | st.text(
    alphabet=st.sampled_from(ALPHABET + "+/=. \n\t\x00!*\x80\xff"), max_size=40
).map(lambda text: text.encode("latin-1"))


@HYPOTHESIS
@given(st.binary(max_size=300))
def test_decode_inverts_standard_encoding(data):
    segment = base64.urlsafe_b64encode(data).rstrip(b"=")
    assert core_b64url.decode(segment) == data


@HYPOTHESIS
@given(HOSTILE_BYTES)
def test_decode_agrees_with_strict_reference(segment):
    assert core_b64url.decode(segment) == reference_b64url_decode(segment)


@HYPOTHESIS
@given(st.text(alphabet=ALPHABET, max_size=30))
def test_decode_of_alphabet_strings_agrees_with_reference(text):
    # Mostly length/trailing-bit cases: every character is legal here.
    assert core_b64url.decode(text.encode()) == reference_b64url_decode(text)


@pytest.mark.parametrize(
    "segment",
    [
        b"QR",  # "A" with non-zero trailing bits (canonical is "QQ")
        b"QUJ",  # "AB" with non-zero trailing bits (canonical is "QUI")
        b"QQ==",  # padding
        b"QQ=",
        b"QUJD=",
        b"Q",  # 1 mod 4 characters can encode nothing
        b"QUJDR",
        b"QU+D",  # standard alphabet
        b"QU/D",
        b"QU D",
        b"QU\nD",
        b"QU.D",
        b"QU\x00D",
        b"QU\xc3\xa9D",
        b"=",
        b"====",
    ],
)
def test_rejects_non_canonical_or_foreign_segments(segment):
    assert core_b64url.decode(segment) is None


@pytest.mark.parametrize("value", ["QUJD", None, 12, ["Q"], bytearray(b"QUJD")])
def test_decode_refuses_non_bytes(value):
    assert core_b64url.decode(value) is None


def test_empty_segment_is_empty_bytes():
    assert core_b64url.decode(b"") == b""


def test_all_byte_values_round_trip():
    data = bytes(range(256)) * 3
    assert core_b64url.decode(b64url(data).encode()) == data
