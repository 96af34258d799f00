"""Run the guard core under real MicroPython (nearc's tree, unix port).

The interpreter is built once from nearc's bundled sources with a variant
configured like the NEAR Wasm port (see micropython_variant/), including the
Wasm port's non-unwinding exception scheme: a C built-in that raises keeps
running, exactly the hazard the core is written against. What this cannot
show: 32-bit small-int boundaries (x86-64 small ints are 62-bit; wasm32's are
31-bit), host functions, gas and heap limits - the Wasm tests cover those.
"""

import json
import os
import random
import subprocess
import sys

import jwt as pyjwt
import pytest

from tests.core import adversarial
from tests.core import core_support
from tests.core.core_support import (
    CONTRACT_DIR,
    ISSUER,
    NOW,
    SIGN_PAYLOAD,
    SUBJECT,
    claims,
    eddsa_key,
    ed25519_private_key,
    ed25519_verify,
    reference_b64url_decode,
    rs256_key,
    rsa_private_key,
    sha256,
    sign_jws,
)
import guard_core
from guard_core import reasons
from tests.core.core_mpy_build import BuildUnavailable, micropython_binary

HERE = os.path.dirname(os.path.abspath(__file__))


@pytest.fixture(scope="module")
def micropython():
    try:
        return micropython_binary()
    except BuildUnavailable as error:
        pytest.skip(f"cannot build MicroPython from nearc's tree: {error}")


def _run(binary, script_path, *arguments, timeout=300):
    environment = dict(os.environ, MICROPYPATH=str(CONTRACT_DIR))
    # A big heap: the self-check data is over a megabyte of JSON, and running
    # out of heap inside a C built-in crashes this build (as it traps on NEAR).
    return subprocess.run(
        [str(binary), "-X", "heapsize=64M", script_path, *arguments],
        capture_output=True,
        text=True,
        timeout=timeout,
        env=environment,
    )


def _write_data(path, data):
    # Raw UTF-8, not \u escapes: MicroPython's json decodes an escaped
    # surrogate pair as two separate (invalid) 3-byte sequences, which would
    # corrupt the expected strings; lone surrogates travel as such bytes.
    path.write_bytes(json.dumps(data, ensure_ascii=False).encode("utf-8", "surrogatepass"))


def _run_source(binary, tmp_path, source):
    script = tmp_path / "snippet.py"
    script.write_text(source)
    return _run(binary, str(script))


# --- data for the self-check ---------------------------------------------------------


_DEFAULT_SIGN_PAYLOAD = object()


def _verify_check(name, token, public_keys, expected, sign_payload=_DEFAULT_SIGN_PAYLOAD, issuer=ISSUER, now=NOW, **config):
    check = {
        "name": name,
        "token": token,
        "sign_payload": list(SIGN_PAYLOAD) if sign_payload is _DEFAULT_SIGN_PAYLOAD else sign_payload,
        "public_keys": public_keys,
        "issuer": issuer,
        "now": now,
        "ok": expected[0],
        "detail": expected[1],
    }
    check.update(config)
    # The expectation must hold on CPython first, with the real Ed25519.
    result = core_support.verify(token, public_keys, now=now, sign_payload=check["sign_payload"], issuer=issuer, **config)
    assert result == expected, (name, result)
    return check


def _verify_checks():
    checks = []
    vector = core_support.load_auth0_vector()
    auth0_keys = [vector["public_key"]]
    for name, now, expected in [
        ("auth0/valid", vector["valid_at_unix_seconds"], (True, vector["sub"])),
        ("auth0/last-second", vector["exp"] - 1, (True, vector["sub"])),
        ("auth0/expired", vector["exp"] + 1, (False, reasons.TOKEN_EXPIRED)),
    ]:
        checks.append(
            _verify_check(name, vector["jwt"], auth0_keys, expected, sign_payload=vector["sign_payload"], issuer=vector["issuer"], now=now)
        )
    checks.append(
        _verify_check(
            "auth0/audience",
            vector["jwt"],
            auth0_keys,
            (True, vector["sub"]),
            sign_payload=vector["sign_payload"],
            issuer=vector["issuer"],
            now=vector["valid_at_unix_seconds"],
            audience=vector["aud"][1],
        )
    )
    for bits in (2048, 3072, 4096):
        key = rsa_private_key(bits)
        token = pyjwt.encode(claims(), key, algorithm="RS256", headers={"kid": "k"})
        checks.append(_verify_check(f"rs256/{bits}", token, [rs256_key(key, kid="k")], (True, SUBJECT)))
    ed = ed25519_private_key()
    checks.append(_verify_check("eddsa/pyjwt", pyjwt.encode(claims(), ed, algorithm="EdDSA"), [eddsa_key(ed)], (True, SUBJECT)))
    key_set = [rs256_key(rsa_private_key(2048), kid="r"), eddsa_key(ed, kid="e")]
    for name, sub in [("ascii-256", "s" * 256), ("latin-128", "é" * 128), ("emoji-as-utf8", "😀" * 4)]:
        raw_payload = json.dumps(claims(sub=sub), ensure_ascii=False).encode()
        checks.append(_verify_check(f"subject/{name}-raw", sign_jws({"alg": "EdDSA"}, raw_payload, ed), key_set, (True, sub)))
    checks.append(
        _verify_check(
            "subject/emoji-escaped",
            sign_jws({"alg": "EdDSA"}, json.dumps(claims(sub="😀" * 64)).encode(), ed),
            key_set,
            (True, "😀" * 64),
        )
    )
    checks.append(
        _verify_check(
            "subject/latin-escaped",
            sign_jws({"alg": "EdDSA"}, json.dumps(claims(sub="é" * 128)).encode(), ed),
            key_set,
            (True, "é" * 128),
        )
    )
    checks.append(
        _verify_check(
            "issuer/allow-list",
            sign_jws({"alg": "RS256", "kid": "r"}, claims(), rsa_private_key(2048)),
            key_set,
            (False, reasons.ISSUER_MISMATCH),
            issuers=["https://other/"],
        )
    )
    context = adversarial.default_context()
    for case in adversarial.build_corpus(context):
        checks.append(
            _verify_check(
                case.name,
                case.token,
                context.public_keys,
                (False, case.reason),
                sign_payload=case.sign_payload,
                issuer=context.issuer,
                now=context.now,
                audience=context.audience,
            )
        )
    return checks


def _ed25519_triples(checks):
    """Every (signature, signing input, key) cryptography accepts among the checks."""
    triples = set()
    for check in checks:
        token = check["token"]
        if not isinstance(token, str) or token.count(".") != 2:
            continue
        header, payload, signature_segment = token.split(".")
        signature = reference_b64url_decode(signature_segment)
        if signature is None or len(signature) != 64:
            continue
        message = (header + "." + payload).encode()
        for key in check["public_keys"]:
            if isinstance(key, dict) and key.get("alg") == "EdDSA":
                public_key = bytes(key["x"])
                if ed25519_verify(signature, message, public_key):
                    triples.add(f"{signature.hex()}:{message.hex()}:{public_key.hex()}")
    return sorted(triples)


def _key_checks():
    good = rs256_key(rsa_private_key(2048))
    n = good["n"]
    even = n[:-1] + [n[-1] & 0xFE]
    ed = [eddsa_key(ed25519_private_key(i), kid=f"k{i}") for i in range(17)]
    return [
        {"name": "valid-mixed", "keys": [good, ed[0]], "reason": None},
        {"name": "255-byte-n", "keys": [dict(good, n=n[1:])], "reason": reasons.KEY_BAD_MODULUS_SIZE},
        {"name": "even-n", "keys": [dict(good, n=even)], "reason": reasons.KEY_EVEN_MODULUS},
        {"name": "leading-zero", "keys": [dict(good, n=[0] + n[1:])], "reason": reasons.KEY_MODULUS_LEADING_ZERO},
        {"name": "e-3", "keys": [dict(good, e=[3])], "reason": reasons.KEY_BAD_EXPONENT},
        {"name": "e-bools", "keys": [dict(good, e=[True, False, True])], "reason": reasons.KEY_BAD_EXPONENT},
        {"name": "n-floats", "keys": [dict(good, n=[float(b) for b in n])], "reason": reasons.KEY_BAD_MODULUS_SIZE},
        {"name": "duplicate-kid", "keys": [dict(good, kid="k0"), ed[0]], "reason": reasons.KEYS_DUPLICATE_KID},
        {"name": "17-keys", "keys": ed, "reason": reasons.KEYS_TOO_MANY},
        {"name": "16-keys", "keys": ed[:16], "reason": None},
        {"name": "kid-129", "keys": [dict(good, kid="k" * 129)], "reason": reasons.KEY_BAD_KID},
        {"name": "kid-128-multibyte", "keys": [dict(good, kid="é" * 128)], "reason": None},
        {"name": "empty-window", "keys": [dict(good, not_before=5, not_after=5)], "reason": reasons.KEY_EMPTY_WINDOW},
        {"name": "float-window", "keys": [dict(good, not_before=5.0)], "reason": reasons.KEY_BAD_WINDOW_TYPE},
        {"name": "huge-window", "keys": [dict(good, not_after=2**64)], "reason": reasons.KEY_BAD_WINDOW_TYPE},
        {"name": "not-a-list", "keys": {"n": n}, "reason": reasons.KEYS_NOT_A_LIST},
        {"name": "empty", "keys": [], "reason": reasons.KEYS_EMPTY},
        {"name": "unknown-field", "keys": [dict(good, use="sig")], "reason": reasons.KEY_UNKNOWN_FIELD},
    ]


def _b64url_checks(rng):
    alphabet = "ABCDEFGHIJKLMNOPQRSTUVWXYZabcdefghijklmnopqrstuvwxyz0123456789-_"
    checks = []
    for _ in range(300):
        data = rng.randbytes(rng.randrange(0, 40))
        segment = core_support.b64url(data).encode()
        roll = rng.random()
        if roll < 0.3 and segment:
            at = rng.randrange(len(segment))
            segment = segment[:at] + bytes([rng.choice(b"=+/. \n\x00\x80\xff*")]) + segment[at + 1 :]
        elif roll < 0.5 and segment:
            segment = segment[:-1] + rng.choice(alphabet).encode()  # maybe non-canonical
        elif roll < 0.6:
            segment = segment + b"A"
        expected = reference_b64url_decode(segment)
        checks.append([segment.hex(), None if expected is None else expected.hex()])
    return checks


def _utf8_checks(rng):
    samples = [b"", b"ascii", "é€😀".encode(), b"\xc0\xaf", b"\xed\xa0\x80", b"\xf4\x90\x80\x80", b"\xe2\x82", b"\x80"]
    for _ in range(200):
        text = "".join(rng.choice("aé€😀\u07ff\uffff\U0010ffff") for _ in range(rng.randrange(0, 6))).encode()
        if rng.random() < 0.5 and text:
            at = rng.randrange(len(text))
            text = text[:at] + bytes([rng.randrange(256)]) + text[at + 1 :]
        samples.append(text)
    checks = []
    for sample in samples:
        try:
            sample.decode("utf-8")
            valid = True
        except UnicodeDecodeError:
            valid = False
        checks.append([sample.hex(), valid])
    return checks


def _int_checks(rng):
    checks = []
    for size in (1, 2, 3, 4, 5, 7, 8, 9, 31, 32, 33, 255, 256, 384, 512):
        data = rng.randbytes(size)
        checks.append(["from_bytes", [data.hex()], "%x" % int.from_bytes(data, "big")])
        value = int.from_bytes(data, "big")
        checks.append(["to_bytes", ["%x" % value, size + 1], value.to_bytes(size + 1, "big").hex()])
    for bits in (2048, 3072, 4096):
        n = rsa_private_key(bits).public_key().public_numbers().n
        for s in (0, 1, 2, n - 1, rng.randrange(n), rng.randrange(n)):
            checks.append(["powmod", ["%x" % s, "%x" % n], "%x" % pow(s, 65537, n)])
    boundaries = [0, 1, 2**30 - 1, 2**30, 2**31 - 1, 2**31, 2**32, NOW, 2**53, 2**62, 2**63 - 1, 2**63, 2**64, -1, -(2**31)]
    for a in boundaries:
        for b in (NOW, 2**30, 2**31, 2**63 - 1, a + 1):
            checks.append(["compare", [a, b], [a < b, a <= b, a == b, a > b, a >= b]])
        checks.append(["numeric_date", [a], guard_core.values.is_numeric_date(a)])
    return checks


def _gap_checks(rng):
    """Random key windows around NOW and beyond 2**31 (the times are MicroPython big ints there)."""
    checks = []
    for now in (NOW, 2**62):
        for _ in range(150):
            key_set = []
            for index in range(rng.randrange(0, 5)):
                key = {"alg": "EdDSA", "x": [index] * 32}
                start = now + rng.randrange(-50, 50) if rng.random() < 0.6 else None
                if start is not None:
                    key["not_before"] = start
                if rng.random() < 0.6:
                    key["not_after"] = (start if start is not None else now - 50) + rng.randrange(1, 80)
                key_set.append(key)
            gap = guard_core.keys.validity_gap(key_set, now)
            checks.append({"keys": key_set, "now": now, "gap": None if gap is None else list(gap)})
    return checks


@pytest.fixture(scope="module")
def selfcheck_data():
    return _selfcheck_data()


def _selfcheck_data():
    rng = random.Random(20250526)
    verify_checks = _verify_checks()
    return {
        "verify": verify_checks,
        "ed25519_valid": _ed25519_triples(verify_checks),
        "keys": _key_checks(),
        "b64url": _b64url_checks(rng),
        "utf8": _utf8_checks(rng),
        "intops": _int_checks(rng),
        "gaps": _gap_checks(rng),
    }


# --- tests ---------------------------------------------------------------------------


def test_core_selfcheck_under_micropython(micropython, selfcheck_data, tmp_path):
    data = selfcheck_data
    assert len(data["verify"]) > 300
    data_path = tmp_path / "selfcheck.json"
    _write_data(data_path, data)
    result = _run(micropython, os.path.join(HERE, "mpy_selfcheck.py"), str(data_path))
    lines = result.stdout.strip().splitlines()
    assert result.returncode == 0, result.stdout[-3000:] + result.stderr[-3000:]
    assert lines and lines[-1].startswith("SELFCHECK OK"), result.stdout[-5000:] + result.stderr[-2000:]


def test_selfcheck_script_also_runs_on_cpython(selfcheck_data, tmp_path):
    """The same script under CPython: guards the script itself."""
    data = selfcheck_data
    data_path = tmp_path / "selfcheck.json"
    _write_data(data_path, data)

    result = subprocess.run(
        [sys.executable, os.path.join(HERE, "mpy_selfcheck.py"), str(data_path)],
        capture_output=True,
        text=True,
        timeout=120,
    )
    assert result.stdout.strip().splitlines()[-1].startswith("SELFCHECK OK"), result.stdout + result.stderr


# These pin down the interpreter behaviour the core's design rests on; if one
# starts failing, nearc's MicroPython changed and the core's assumptions need a look.


def test_build_reproduces_wasm_exception_model(micropython, tmp_path):
    result = _run_source(
        micropython,
        tmp_path,
        "import sys\n"
        "try:\n"
        "    {}['k']\n"
        "except Exception as error:\n"
        "    sys.stdout.write(type(error).__name__ + '\\n')\n"
        "try:\n"
        "    int.from_bytes('not bytes', 'big')\n"
        "    sys.stdout.write('no error\\n')\n"
        "except Exception as error:\n"
        "    sys.stdout.write(type(error).__name__ + '\\n')\n"
        "sys.stdout.write('END\\n')\n",
    )
    # A missing key surfaces as TypeError (the KeyError is overwritten by a
    # second error as the C code runs on), as measured on NEAR; and a C
    # function called with a wrong type may not raise at all.
    assert result.stdout.splitlines() == ["TypeError", "no error", "END"], result.stdout + result.stderr


def test_json_loads_crashes_on_a_top_level_bad_number(micropython, tmp_path):
    """Why values.parse_json_object insists on '{' ... '}' before json.loads."""
    result = _run_source(
        micropython,
        tmp_path,
        "import json, sys\n"
        "try:\n"
        "    json.loads('1-1')\n"
        "except Exception:\n"
        "    pass\n"
        "sys.stdout.write('survived\\n')\n",
    )
    assert "survived" not in result.stdout
    assert result.returncode != 0
    nested = _run_source(
        micropython,
        tmp_path,
        "import json, sys\n"
        "try:\n"
        "    json.loads('{\"a\":1-1}')\n"
        "except Exception as error:\n"
        "    sys.stdout.write(type(error).__name__ + '\\n')\n",
    )
    assert nested.stdout.strip() == "ValueError"


def test_core_survives_hostile_json_under_micropython(micropython, tmp_path):
    """parse_json_object on inputs that crash or fool raw json.loads."""
    hostile = ["1-1", "--", "1e", "-", "[", '{"a":1', '{"a":1-1', "{1-1:2}", '{"a":[1}', "{\"a\":\"\\u12\"}", "{}}", ""]
    source = (
        "import sys\n"
        "from guard_core import values\n"
        "for text in %r:\n"
        "    sys.stdout.write(repr(values.parse_json_object(text.encode(), 100, 100)) + '\\n')\n"
        "sys.stdout.write('END\\n')\n" % (hostile,)
    )
    result = _run_source(micropython, tmp_path, source)
    lines = result.stdout.split("\n")
    assert lines[-2] == "END", result.stdout + result.stderr
    # MicroPython's json is lax: '{"a":[1}' parses. Signed content only, so
    # this is harmless; everything else is refused.
    assert lines[:-2] == ["None"] * 8 + ["{'a': [1]}", "None", "None", "None"]
