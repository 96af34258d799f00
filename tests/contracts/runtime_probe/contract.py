"""Probe contract for the MicroPython runtime: heap use and exceptions raised inside C.

Raw `near` module (no near-sdk-py) so that each call measures the runtime, not the SDK.
Every probe returns a short text outcome; the tests in tests/toolchain decide what is right.
"""
import json

import near


def _reply(text):
    near.value_return(text)


def _outcome(expected, action):
    # Reports which exception (if any) reached Python, so a test can tell a
    # correct catch from a wrong type or from C code that ran on silently.
    try:
        value = action()
    except expected as exc:
        return "caught " + type(exc).__name__
    except Exception as exc:
        return "wrong " + type(exc).__name__
    return "no exception: " + repr(value)[:40]


@near.export
def noop():
    pass


@near.export
def parse_json_input():
    # Parses the whole input as JSON and reports its size, like an SDK entry point
    # does before any method code runs.
    document = json.loads(near.input().decode())
    _reply(str(len(document)))


@near.export
def parse_args_like_sdk():
    # A near-sdk-py method's entry path: importing the SDK (about 13 KB of heap,
    # paid by every near-sdk-py contract) and parsing the JSON arguments.
    from near_sdk_py import Input

    arguments = Input.json()
    _reply(str(len(arguments["sign_payload"])))


@near.export
def parse_hostile_json():
    # The contract pattern the guard needs: never panic on hostile bytes.
    data = near.input()
    try:
        text = data.decode()
    except UnicodeError:
        _reply("rejected UnicodeError")
        return
    try:
        document = json.loads(text)
    except ValueError as exc:
        _reply("rejected " + type(exc).__name__)
        return
    _reply("parsed " + type(document).__name__)


@near.export
def missing_key():
    _reply(_outcome(KeyError, lambda: {}["k"]))


@near.export
def bad_int():
    _reply(_outcome(ValueError, lambda: int("x")))


@near.export
def bad_utf8():
    _reply(_outcome(UnicodeError, lambda: b"\xff".decode()))


@near.export
def str_plus_int():
    _reply(_outcome(TypeError, lambda: "a" + 1))


@near.export
def missing_attribute():
    _reply(_outcome(AttributeError, lambda: near.no_such_function))


@near.export
def undefined_name():
    _reply(_outcome(NameError, lambda: no_such_name))  # noqa: F821


@near.export
def missing_module():
    def load():
        import no_such_module  # noqa: F401

    _reply(_outcome(ImportError, load))


@near.export
def import_broken_module():
    # A module that raises while it is imported must be unregistered (a jump
    # callback does it), so importing it again raises again instead of handing
    # back the half-initialised module.
    outcomes = []
    for _ in range(2):
        try:
            import broken_module  # noqa: F401

            outcomes.append("imported")
        except ValueError:
            outcomes.append("ValueError")
    _reply(", ".join(outcomes))


@near.export
def many_caught():
    # Catch C exceptions repeatedly, then allocate enough to force collections:
    # a corrupted handler chain or leaked state shows up here.
    caught = 0
    for index in range(300):
        try:
            {}["k%d" % index]
        except KeyError:
            caught += 1
    chunks = [bytes(200) for _ in range(600)]
    _reply("caught %d, kept %d" % (caught, len(chunks)))


@near.export
def check_flat_object():
    # {"entries": n}: builds a JSON object of n entries, parses it back and
    # checks every entry.  Allocates far beyond the first heap area: objects
    # held only by C locals (the object being parsed, the list being joined)
    # must survive whatever the runtime does when the heap fills.
    import gc

    count = json.loads(near.input().decode())["entries"]
    text = "{" + ",".join(['"key%d": [%d, "v%d"]' % (i, i, i) for i in range(count)]) + "}"
    document = json.loads(text)
    for index in range(count):
        if document.get("key%d" % index) != [index, "v%d" % index]:
            _reply("corrupt at %d" % index)
            return
    _reply("intact %d, heap %d" % (len(document), gc.mem_alloc()))


@near.export
def allocate():
    # {"bytes": n}: one allocation of n bytes; reports MemoryError instead of failing.
    size = json.loads(near.input().decode())["bytes"]
    try:
        block = bytearray(size)
    except MemoryError:
        _reply("caught MemoryError")
        return
    _reply("allocated %d" % len(block))


@near.export
def host_call_after_type_error():
    # near.storage_write raises TypeError for a non-str/bytes key; the host
    # call must not happen anyway.
    try:
        near.storage_write(1, b"value")
    except TypeError:
        pass
    _reply("has empty key: " + str(near.storage_has_key(b"")))


@near.export
def run_source():
    # Executes the input as Python (development probe for runtime behaviour).
    namespace = {"near": near, "json": json}
    exec(near.input().decode(), namespace)
    _reply(str(namespace.get("result")))


# --- runtime patch 11: fast paths (tests/toolchain/test_runtime_fast_paths.py) ---


@near.export
def json_loads_outcome():
    # json.loads of the raw input: "ok <value as JSON>" or "error".
    data = near.input()
    try:
        value = json.loads(data)
    except Exception:
        _reply("error")
        return
    _reply("ok " + json.dumps(value))


@near.export
def json_loads_gas():
    # Wasm gas of one json.loads of the raw input (the probe's own overhead excluded).
    data = near.input()
    before = near.used_gas()
    json.loads(data)
    _reply(str(near.used_gas() - before))


@near.export
def isascii_outcome():
    # {"text": str}: str.isascii() of it and bytes/bytearray.isascii() of its
    # UTF-8 bytes, then of the raw input bytes themselves.
    data = near.input()
    text = json.loads(data)["text"]
    encoded = text.encode()
    _reply(json.dumps([text.isascii(), encoded.isascii(), bytearray(encoded).isascii(), data.isascii()]))


@near.export
def bytes_from_byte_list_outcome():
    # {"value": anything}: near.bytes_from_byte_list(value) as hex, or "none".
    import binascii

    value = json.loads(near.input())["value"]
    result = near.bytes_from_byte_list(value)
    _reply("none" if result is None else "bytes " + binascii.hexlify(result).decode())


@near.export
def json_text_within_outcome():
    # {"data_hex": hex, "strings": n, "depth": n} or {"value": anything, ...}:
    # near.json_text_within on those bytes (or on the value as given).
    import binascii

    args = json.loads(near.input())
    data = binascii.unhexlify(args["data_hex"]) if "data_hex" in args else args["value"]
    _reply(repr(near.json_text_within(data, args["strings"], args["depth"])))


@near.export
def find_outcome():
    # {"haystack": str, "needle": str}: every forward search of str and bytes.
    args = json.loads(near.input())
    haystack, needle = args["haystack"], args["needle"]
    raw_haystack, raw_needle = haystack.encode(), needle.encode()
    _reply(json.dumps([
        needle in haystack, haystack.find(needle), haystack.count(needle) if needle else -1,
        haystack.split(needle) if needle else [], haystack.replace(needle, "#") if needle else "",
        raw_needle in raw_haystack, raw_haystack.find(raw_needle),
        raw_haystack.replace(raw_needle, b"#").decode() if raw_needle else "",
        haystack.rfind(needle), haystack.startswith(needle), haystack.endswith(needle),
    ]))
