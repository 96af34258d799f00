import pytest
from hypothesis import given
from hypothesis import strategies as st

from tests.core.core_support import HYPOTHESIS
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
        values.parse_json_object(data, 100, 100)
        return
    assert values.parse_json_object(data, 100, 100) is None


def test_parse_json_object_accepts_objects():
    assert values.parse_json_object(b'{"a": [1, "x", null], "b": {"c": true}}', 100, 100) == {
        "a": [1, "x", None],
        "b": {"c": True},
    }


# --- json_text_within: the bound checked before any JSON is parsed -----------------


def _lexical_counts(data):
    """(strings, deepest nesting) of JSON text, counted by a second, independent
    reading: CPython's own tokeniser on text json.loads accepts."""
    strings = 0
    depth = deepest = 0

    def walk(value, level):
        nonlocal strings, deepest
        if isinstance(value, str):
            strings += 1
        elif isinstance(value, list):
            deepest = max(deepest, level + 1)
            for item in value:
                walk(item, level + 1)
        elif isinstance(value, dict):
            deepest = max(deepest, level + 1)
            for key, item in value.items():
                strings += 1
                walk(item, level + 1)

    import json

    walk(json.loads(data), 0)
    return strings, deepest


_JSON_VALUES = st.recursive(
    st.none() | st.booleans() | st.integers() | st.text(max_size=6),
    lambda children: st.lists(children, max_size=4) | st.dictionaries(st.text(max_size=4), children, max_size=4),
    max_leaves=20,
)


@HYPOTHESIS
@given(_JSON_VALUES, st.booleans())
def test_json_text_within_counts_strings_and_depth_as_the_parser_sees_them(value, ascii_only):
    import json

    data = json.dumps(value, ensure_ascii=ascii_only).encode()
    strings, depth = _lexical_counts(data)
    assert values.json_text_within(data, strings, depth)
    if strings:
        assert not values.json_text_within(data, strings - 1, depth)
    if depth:
        assert not values.json_text_within(data, strings, depth - 1)


@pytest.mark.parametrize(
    "data,strings,depth",
    [
        (b'{"a\\"b": "c\\\\"}', 2, 1),  # escaped quote and backslash stay inside their strings
        (b'["]", "[", "{"]', 3, 1),  # brackets inside strings do not nest
        (b'{"k": [[[1]]]}', 1, 4),
        (b"]]]]{}", 0, 1),  # closing brackets never take the depth below zero
    ],
)
def test_json_text_within_edge_cases(data, strings, depth):
    assert values.json_text_within(data, strings, depth)
    assert not values.json_text_within(data, strings - 1, depth) or strings == 0
    assert not values.json_text_within(data, strings, depth - 1)


@pytest.mark.parametrize("data", [b'{"a": "\xc3"}', b'{"\xed\xa0\x80": 1}', b"\x80"])
def test_json_text_within_refuses_invalid_utf8(data):
    assert not values.json_text_within(data, 100, 100)


@pytest.mark.parametrize("args", [("{}", 1, 1), (b"{}", "1", 1), (b"{}", 1, None), (None, 1, 1)])
def test_json_text_within_refuses_other_types(args):
    assert values.json_text_within(*args) is False


def test_parse_json_object_applies_the_bounds():
    data = b'{"a": "b", "c": [[1]]}'
    assert values.parse_json_object(data, 3, 3) == {"a": "b", "c": [[1]]}
    assert values.parse_json_object(data, 2, 3) is None
    assert values.parse_json_object(data, 3, 2) is None
