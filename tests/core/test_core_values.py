import pytest
from hypothesis import given
from hypothesis import strategies as st

from core_support import HYPOTHESIS
from guard_core import values


def _strictly_utf8(data):
    try:
        data.decode("utf-8", "strict")
    except UnicodeDecodeError:
        return False
    return True


@HYPOTHESIS
@given(st.binary(max_size=64))
def test_is_utf8_agrees_with_cpython_decoder_on_random_bytes(data):
    assert values.is_utf8(data) == _strictly_utf8(data)


@HYPOTHESIS
@given(st.text(max_size=40), st.binary(max_size=3), st.integers(min_value=0, max_value=40))
def test_is_utf8_agrees_on_mostly_valid_text_with_splices(text, splice, position):
    data = text.encode("utf-8")
    data = data[:position] + splice + data[position:]
    assert values.is_utf8(data) == _strictly_utf8(data)


@pytest.mark.parametrize(
    "data,valid",
    [
        (b"", True),
        (b"plain ascii", True),
        ("é€😀".encode(), True),
        (b"\xc0\xaf", False),  # overlong '/'
        (b"\xe0\x80\xaf", False),  # overlong
        (b"\xed\xa0\x80", False),  # surrogate U+D800
        (b"\xf4\x90\x80\x80", False),  # above U+10FFFF
        (b"\xf8\x88\x80\x80\x80", False),
        (b"\xc3", False),  # truncated
        (b"\xe2\x82", False),
        (b"\x80", False),  # lone continuation
        (b"\xef\xbf\xbf", True),  # U+FFFF
        (b"\xf4\x8f\xbf\xbf", True),  # U+10FFFF
    ],
)
def test_is_utf8_edge_cases(data, valid):
    assert values.is_utf8(data) is valid


@pytest.mark.parametrize(
    "value,expected",
    [
        ([], True),
        ([0, 255, 17], True),
        ([256], False),
        ([-1], False),
        ([1.0], False),
        ([True], False),
        ([1, True], False),
        (["1"], False),
        ([None], False),
        ([[1]], False),
        ([2**80], False),
        ((1, 2), False),
        (b"\x01", False),
        ("ab", False),
        (None, False),
    ],
)
def test_is_byte_list(value, expected):
    assert values.is_byte_list(value) is expected


@pytest.mark.parametrize(
    "value,expected",
    [
        (0, True),
        (1_750_000_000, True),
        (2**63 - 1, True),
        (2**63, False),
        (-1, False),
        (True, False),
        (1.0, False),
        ("1", False),
        (None, False),
    ],
)
def test_is_numeric_date(value, expected):
    assert values.is_numeric_date(value) is expected


@pytest.mark.parametrize(
    "data",
    [
        b"",
        b"{",
        b"}",
        b"[]",
        b"1-1",  # crashes MicroPython's json.loads when top-level (see values.py)
        b"null",
        b'"s"',
        b" {}",
        b"{} ",
        b'{"a":1',
        b'{"a":1}}',
        b"{\x00}",
        b'{"a":"\xff"}',
        b'{"a":1-1}',
        b"\xef\xbb\xbf{}",
        b'{"a":' + b"[" * 3000 + b"]" * 3000 + b"}",  # CPython: recursion error
        "{}",
        None,
        123,
    ],
)
def test_parse_json_object_rejects(data):
    if isinstance(data, bytes) and data.startswith(b'{"a":[[['):
        # Deep nesting is legal JSON; CPython's parser refuses it by recursion
        # depth, MicroPython's accepts it. Either way: no exception escapes.
        values.parse_json_object(data)
        return
    assert values.parse_json_object(data) is None


def test_parse_json_object_accepts_objects():
    assert values.parse_json_object(b'{"a": [1, "x", null], "b": {"c": true}}') == {
        "a": [1, "x", None],
        "b": {"c": True},
    }
