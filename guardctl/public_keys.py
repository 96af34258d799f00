"""Public keys from the places IdPs and people keep them, in the guard's shape.

Sources: a PEM file (SPKI `PUBLIC KEY`, PKCS#1 `RSA PUBLIC KEY` or an X.509
`CERTIFICATE`; RSA or Ed25519), a JWK, a JWKS (`{"keys": [...]}`, what IdPs
publish at /.well-known/jwks.json) as a file or an http(s) URL, or keys already
in the guard's shape (what `keys list --json` prints), so a set round-trips.

Guard shape (see contract/guard_core/keys.py): RS256 `{"n": bytes, "e": [1,0,1],
"alg"?, "kid"?, "not_before"?, "not_after"?}`, EdDSA `{"alg": "EdDSA", "x": bytes(32), …}`,
bytes as lists of ints. Every key is validated with guard_core before use.
"""
from __future__ import annotations

import json
import urllib.error
import urllib.parse
import urllib.request
from pathlib import Path
from typing import Callable, Optional

from cryptography import x509
from cryptography.hazmat.primitives import serialization
from cryptography.hazmat.primitives.asymmetric import ed25519, rsa
from guard_core import keys as keys_core
from guard_core.keys import key_algorithm
from guardjwk import guard_key_from_jwk, guard_key_thumbprint, int_bytes

from .errors import GuardctlError
from .times import format_time

FETCH_TIMEOUT_S = 10.0
MAX_SOURCE_BYTES = 1 << 20  # a JWKS is a few KB; anything near this is not one
RSA_EXPONENT = 65537
GUARD_KEY_FIELDS = ("n", "e", "x", "alg", "kid", "not_before", "not_after")

Warn = Callable[[str], None]


# --- reading a source ---------------------------------------------------------


def is_url(source: str) -> bool:
    return source.startswith(("http://", "https://"))


LOOPBACK_HOSTS = ("localhost", "127.0.0.1", "::1")


def read_source(source: str, timeout: float = FETCH_TIMEOUT_S) -> bytes:
    """The bytes of a key file or key URL."""
    if source.startswith("http://") and urllib.parse.urlsplit(source).hostname not in LOOPBACK_HOSTS:
        raise GuardctlError(f"refusing the plain-HTTP URL {source}: anyone on the way could swap the keys the "
                            f"guard will trust; use https:// (or download the JWKS and give the file)")
    if is_url(source):
        request = urllib.request.Request(source, headers={
            "Accept": "application/json, application/jwk-set+json, application/x-pem-file, */*",
            "User-Agent": "guardctl",
        })
        try:
            with urllib.request.urlopen(request, timeout=timeout) as response:
                body = response.read(MAX_SOURCE_BYTES + 1)
        except urllib.error.HTTPError as err:
            raise GuardctlError(f"fetching {source} failed: HTTP {err.code} {err.reason}") from None
        except urllib.error.URLError as err:
            raise GuardctlError(f"cannot fetch {source}: {err.reason}") from None
        except TimeoutError:
            raise GuardctlError(f"fetching {source} timed out after {timeout:g} s") from None
        except OSError as err:
            raise GuardctlError(f"cannot fetch {source}: {err}") from None
    else:
        path = Path(source).expanduser()
        try:
            with open(path, "rb") as handle:
                body = handle.read(MAX_SOURCE_BYTES + 1)
        except FileNotFoundError:
            raise GuardctlError(f"key file {source} does not exist") from None
        except IsADirectoryError:
            raise GuardctlError(f"key file {source} is a directory") from None
        except OSError as err:
            raise GuardctlError(f"cannot read key file {source}: {err.strerror}") from None
    if len(body) > MAX_SOURCE_BYTES:
        raise GuardctlError(f"{source} is larger than {MAX_SOURCE_BYTES} bytes; not a key or JWKS")
    return body


# --- PEM ----------------------------------------------------------------------


def _key_from_public_object(public_key) -> dict:
    if isinstance(public_key, rsa.RSAPublicKey):
        numbers = public_key.public_numbers()
        if numbers.e != RSA_EXPONENT:
            raise ValueError(f"RSA exponent {numbers.e} is not supported (the guard accepts 65537 only)")
        return {"n": list(int_bytes(numbers.n)), "e": list(int_bytes(numbers.e))}
    if isinstance(public_key, ed25519.Ed25519PublicKey):
        raw = public_key.public_bytes(serialization.Encoding.Raw, serialization.PublicFormat.Raw)
        return {"alg": "EdDSA", "x": list(raw)}
    raise ValueError(f"{type(public_key).__name__.removeprefix('_')} keys are not supported "
                     "(the guard takes RSA 2048/3072/4096 for RS256 and Ed25519 for EdDSA)")


def keys_from_pem(data: bytes) -> list[dict]:
    text = data.decode("ascii", errors="replace")
    if "PRIVATE KEY-----" in text:
        raise ValueError("this PEM holds a PRIVATE key; give the public key (keygen writes PREFIX.public.pem)")
    try:
        if "-----BEGIN CERTIFICATE-----" in text:
            public_key = x509.load_pem_x509_certificate(data).public_key()
        else:
            public_key = serialization.load_pem_public_key(data)
    except (ValueError, TypeError) as err:
        first_sentence = str(err).split(".")[0].strip() or "unreadable"
        raise ValueError(f"malformed PEM ({first_sentence})") from None
    except Exception as err:  # cryptography raises its own types for unsupported algorithms
        raise ValueError(f"unreadable PEM: {err}") from None
    return [_key_from_public_object(public_key)]


# --- JWK / JWKS / guard shape ---------------------------------------------------


def _is_guard_shaped(entry) -> bool:
    return isinstance(entry, dict) and "kty" not in entry and (
        isinstance(entry.get("n"), list) or isinstance(entry.get("x"), list))


def _guard_shaped(entry: dict) -> dict:
    unknown = [field for field in entry if field not in GUARD_KEY_FIELDS]
    if unknown:
        raise ValueError(f"unknown field(s) {', '.join(unknown)} in a guard-shaped key")
    return dict(entry)


def keys_from_json(document, where: str, warn: Warn) -> list[dict]:
    if isinstance(document, list):  # get_public_keys' own output
        entries, is_set = document, True
    elif isinstance(document, dict) and isinstance(document.get("keys"), list):
        entries, is_set = document["keys"], True  # a JWKS, or `keys list --json`
    elif isinstance(document, dict):
        entries, is_set = [document], False
    else:
        raise ValueError("expected a JWK, a JWKS or guard keys")
    keys = []
    for index, entry in enumerate(entries):
        label = entry.get("kid", f"#{index}") if isinstance(entry, dict) else f"#{index}"
        try:
            if _is_guard_shaped(entry):
                keys.append(_guard_shaped(entry))
            elif isinstance(entry, dict):
                keys.append(guard_key_from_jwk(entry))
            else:
                raise ValueError("not an object")
        except ValueError as err:
            if not is_set:
                raise
            # An IdP's JWKS may also list keys the guard cannot use (e.g. ES256
            # or encryption keys); skip those and say so.
            warn(f"{where}: skipping key {label}: {err}")
    if not keys:
        raise ValueError("no usable key (the guard takes RS256 and EdDSA signing keys)")
    return keys


def keys_from_bytes(data: bytes, where: str, warn: Warn) -> list[dict]:
    stripped = data.lstrip()
    try:
        if stripped.startswith(b"-----BEGIN"):
            return keys_from_pem(data)
        if stripped[:1] in (b"{", b"["):
            try:
                document = json.loads(data)
            except (json.JSONDecodeError, UnicodeDecodeError) as err:
                raise ValueError(f"malformed JSON ({err})") from None
            return keys_from_json(document, where, warn)
    except ValueError as err:
        raise GuardctlError(f"{where}: {err}") from None
    raise GuardctlError(f"{where}: not a PEM public key, JWK or JWKS")


# --- selection and validation -------------------------------------------------


def apply_kid(keys: list[dict], kid: Optional[str], where: str) -> list[dict]:
    """`--kid`: pick the key with that kid, or name a single kid-less key."""
    if kid is None:
        return keys
    matching = [key for key in keys if key.get("kid") == kid]
    if matching:
        return matching
    if len(keys) == 1 and "kid" not in keys[0]:
        return [dict(keys[0], kid=kid)]
    known = ", ".join(str(key.get("kid")) for key in keys if "kid" in key) or "none"
    raise GuardctlError(f"{where}: no key with kid {kid!r} (kids there: {known})")


def validate_key(key: dict, where: str) -> dict:
    normalised, reason = keys_core.validate_public_key(key)
    if reason is not None:
        label = f" {key.get('kid')!r}" if isinstance(key, dict) and "kid" in key else ""
        if reason == keys_core.reasons.KEY_BAD_MODULUS_SIZE and isinstance(key.get("n"), list):
            reason += f" (2048, 3072 or 4096 bits; this key's is {len(key['n']) * 8} bits)"
        raise GuardctlError(f"{where}: key{label} is not acceptable to the guard: {reason}")
    return normalised


def validate_key_set(keys: list[dict], where: str) -> list[dict]:
    normalised, reason = keys_core.validate_public_keys(keys)
    if reason is not None:
        raise GuardctlError(f"{where}: the key set is not acceptable to the guard: {reason}")
    return normalised


def check_keys_stay_valid(keys: list[dict], now: int, change: str) -> None:
    """Refuse, before sending, a key change the guard would refuse: one after which
    no key is valid at chain time `now`, or whose windows leave a hole later
    (guard_core.keys.validity_gap, the contract's own rule)."""
    gap = keys_core.validity_gap(keys, now)
    if gap is None:
        return
    start, end = gap
    when = f"now ({format_time(now)}, chain time)" if start == now else f"from {format_time(start)}"
    until = f" until {format_time(end)}" if end is not None else " or later"
    outcome = "every token" + (" in between" if end is not None else "")
    raise GuardctlError(f"refusing to {change}: no key would be valid {when}{until}, so the guard would reject "
                        f"{outcome}; keep a key valid without a break (add the successor first, or hand over "
                        f"at one instant with 'guardctl keys schedule')")


def load_keys(sources: list[str], *, kid: Optional[str] = None, warn: Warn,
              timeout: float = FETCH_TIMEOUT_S, single: bool = False) -> list[dict]:
    """Read, convert and validate the keys of every source (in order).

    `single`: exactly one key is wanted (add, schedule); `kid` then picks it from
    a JWKS, or names a kid-less key. For a whole set, `kid` names the one
    kid-less key among the sources (a PEM carries no kid).
    """
    found: list[tuple[str, dict]] = []
    for source in sources:
        found.extend((source, key) for key in keys_from_bytes(read_source(source, timeout), source, warn))
    where = " ".join(sources)
    if kid is not None and single:
        found = [(where, key) for key in apply_kid([key for _, key in found], kid, where)]
    elif kid is not None:
        kidless = [index for index, (_, key) in enumerate(found) if "kid" not in key]
        if len(kidless) != 1:
            raise GuardctlError(f"--kid names the one key without a kid, but {where} has {len(kidless)} such keys")
        source, key = found[kidless[0]]
        found[kidless[0]] = (source, dict(key, kid=kid))
    keys = [validate_key(key, source) for source, key in found]
    if single and len(keys) != 1:
        kids = ", ".join(str(key.get("kid", "(no kid)")) for key in keys)
        raise GuardctlError(f"{where} holds {len(keys)} keys ({kids}); choose one with --kid")
    return keys


# --- describing keys ----------------------------------------------------------


def key_state(key: dict, now: int) -> str:
    """active (the guard's own `is_active`), else scheduled (not yet valid) or retired."""
    if keys_core.is_active(key, now):
        return "active"
    not_before = key.get("not_before")
    return "scheduled" if isinstance(not_before, int) and now < not_before else "retired"


def summarise(key: dict, now: int) -> dict:
    summary = {
        "kid": key.get("kid"),
        "alg": key_algorithm(key),
        "bits": len(key["n"]) * 8 if key_algorithm(key) == "RS256" else 256,
        "thumbprint": guard_key_thumbprint(key),
        "not_before": key.get("not_before"),
        "not_after": key.get("not_after"),
        "state": key_state(key, now),
    }
    return summary


def window_text(key: dict) -> str:
    start = format_time(key["not_before"]) if "not_before" in key else ""
    end = format_time(key["not_after"]) if "not_after" in key else ""
    return f"{start or '…'} → {end or '…'}" if start or end else "always"


def find_key(keys: list[dict], selector: str) -> tuple[int, dict]:
    """Index and key named by kid, or by (a prefix of at least 8 chars of) its thumbprint."""
    for index, key in enumerate(keys):
        if key.get("kid") == selector:
            return index, key
    if len(selector) >= 8:
        matches = [(index, key) for index, key in enumerate(keys) if guard_key_thumbprint(key).startswith(selector)]
        if len(matches) == 1:
            return matches[0]
        if len(matches) > 1:
            raise GuardctlError(f"thumbprint prefix {selector!r} matches {len(matches)} keys; give more of it")
    known = ", ".join(str(key.get("kid")) for key in keys if "kid" in key) or "none"
    raise GuardctlError(f"the guard has no key with kid or thumbprint {selector!r} (kids: {known})")
