"""Signing keys: where guardctl finds them, and how it writes a new one.

Lookup order for the account that signs (first match wins):
1. `--key-file PATH`: a near-cli credentials file (`{"account_id", "public_key",
   "private_key"}`) or a node home's `validator_key.json` (`secret_key`);
2. `GUARDCTL_PRIVATE_KEY=ed25519:…` in the environment;
3. near-cli's store: `$NEAR_CREDENTIALS_DIR` (default `~/.near-credentials`)
   `/<network>/<account>.json`, or near-cli-rs's `/<network>/<account>/<public key>.json`.
"""
from __future__ import annotations

import json
import os
from dataclasses import dataclass
from pathlib import Path
from typing import Mapping, Optional

import base58
from nacl.signing import SigningKey

from .errors import GuardctlError

PRIVATE_KEY_ENV = "GUARDCTL_PRIVATE_KEY"
CREDENTIALS_DIR_ENV = "NEAR_CREDENTIALS_DIR"
ED25519_PREFIX = "ed25519:"


@dataclass(frozen=True)
class Identity:
    account_id: str
    secret_key: str  # "ed25519:" + base58 of the 64-byte secret (seed ‖ public key)
    public_key: str  # "ed25519:" + base58 of the 32-byte public key
    source: str  # where the key came from, for messages

    def as_credentials_json(self) -> dict:
        return {"account_id": self.account_id, "public_key": self.public_key, "private_key": self.secret_key}


def credentials_dir(environ: Mapping[str, str] = os.environ) -> Path:
    configured = environ.get(CREDENTIALS_DIR_ENV)
    return Path(configured).expanduser() if configured else Path.home() / ".near-credentials"


def credentials_path(network: str, account_id: str, environ: Mapping[str, str] = os.environ) -> Path:
    return credentials_dir(environ) / network / f"{account_id}.json"


def parse_secret_key(text: str, where: str) -> tuple[str, str]:
    """Normalise an ed25519 secret (32-byte seed or 64-byte seed ‖ public) → (secret, public)."""
    if not isinstance(text, str) or not text.startswith(ED25519_PREFIX):
        raise GuardctlError(f"{where}: expected an 'ed25519:<base58>' private key")
    try:
        raw = base58.b58decode(text[len(ED25519_PREFIX):])
    except ValueError:
        raise GuardctlError(f"{where}: the private key is not valid base58") from None
    if len(raw) not in (32, 64):
        raise GuardctlError(f"{where}: an ed25519 private key has 32 or 64 bytes, not {len(raw)}")
    signing_key = SigningKey(raw[:32])
    public = bytes(signing_key.verify_key)
    if len(raw) == 64 and raw[32:] != public:
        raise GuardctlError(f"{where}: the private key's second half is not its public key (corrupt key?)")
    secret = ED25519_PREFIX + base58.b58encode(raw[:32] + public).decode()
    return secret, ED25519_PREFIX + base58.b58encode(public).decode()


def identity_from_file(path: Path, account_id: Optional[str]) -> Identity:
    path = Path(path).expanduser()
    try:
        document = json.loads(path.read_text())
    except FileNotFoundError:
        raise GuardctlError(f"key file {path} does not exist") from None
    except (OSError, UnicodeDecodeError) as err:
        raise GuardctlError(f"cannot read key file {path}: {err}") from None
    except json.JSONDecodeError:
        raise GuardctlError(f"key file {path} is not JSON (expected near-cli credentials or validator_key.json)") from None
    if not isinstance(document, dict):
        raise GuardctlError(f"key file {path}: expected a JSON object")
    secret_text = document.get("private_key") or document.get("secret_key")
    if secret_text is None:
        raise GuardctlError(f"key file {path} has no private_key or secret_key")
    secret, public = parse_secret_key(secret_text, f"key file {path}")
    file_account = document.get("account_id")
    if account_id and file_account and file_account != account_id:
        raise GuardctlError(f"key file {path} holds the key of {file_account}, not {account_id}")
    resolved = account_id or file_account
    if not resolved:
        raise GuardctlError(f"key file {path} names no account_id; pass --account")
    return Identity(resolved, secret, public, f"key file {path}")


def _from_store(network: str, account_id: str, environ: Mapping[str, str]) -> Optional[Identity]:
    single = credentials_path(network, account_id, environ)
    if single.is_file():
        return identity_from_file(single, account_id)
    # near-cli-rs keeps one file per key under a folder named after the account.
    folder = single.with_suffix("")
    if folder.is_dir():
        for candidate in sorted(folder.glob("*.json")):
            return identity_from_file(candidate, account_id)
    return None


def resolve_identity(account_id: Optional[str], network: str, key_file: Optional[str],
                     environ: Mapping[str, str] = os.environ) -> Identity:
    """The key that signs for `account_id` (see the module docstring for the order)."""
    if key_file:
        return identity_from_file(Path(key_file), account_id)
    if not account_id:
        raise GuardctlError("this command signs a transaction: pass --account ID (or --key-file)")
    env_key = environ.get(PRIVATE_KEY_ENV)
    if env_key:
        secret, public = parse_secret_key(env_key.strip(), PRIVATE_KEY_ENV)
        return Identity(account_id, secret, public, f"${PRIVATE_KEY_ENV}")
    found = _from_store(network, account_id, environ)
    if found is None:
        raise GuardctlError(
            f"no key for {account_id}: looked for {credentials_path(network, account_id, environ)}; "
            f"pass --key-file or set {PRIVATE_KEY_ENV}")
    return found


def generate_identity(account_id: str) -> Identity:
    signing_key = SigningKey.generate()
    public = bytes(signing_key.verify_key)
    secret = ED25519_PREFIX + base58.b58encode(bytes(signing_key) + public).decode()
    return Identity(account_id, secret, ED25519_PREFIX + base58.b58encode(public).decode(), "generated")


def save_identity(identity: Identity, network: str, environ: Mapping[str, str] = os.environ) -> Path:
    """Write near-cli's credentials file (mode 0600); never overwrite another key."""
    path = credentials_path(network, identity.account_id, environ)
    if path.exists():
        raise GuardctlError(f"{path} already exists; refusing to overwrite a stored key")
    path.parent.mkdir(parents=True, exist_ok=True)
    descriptor = os.open(path, os.O_WRONLY | os.O_CREAT | os.O_EXCL, 0o600)
    with os.fdopen(descriptor, "w") as handle:
        json.dump(identity.as_credentials_json(), handle)
        handle.write("\n")
    return path
