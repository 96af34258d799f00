"""Command-line values read into what the commands use: payloads, tokens, NEAR amounts, times."""
from __future__ import annotations

import binascii
from pathlib import Path

from .amounts import parse_near
from .errors import GuardctlError
from .times import parse_time


def read_payload(text: str, option: str = "--payload") -> bytes:
    """HEX, or @FILE for the raw bytes of a file (e.g. a Borsh transaction)."""
    if text.startswith("@"):
        try:
            return Path(text[1:]).expanduser().read_bytes()
        except OSError as err:
            raise GuardctlError(f"{option}: cannot read {text[1:]}: {err.strerror}") from None
    digits = text.strip().removeprefix("0x")
    try:
        return binascii.unhexlify(digits)
    except (binascii.Error, ValueError):
        raise GuardctlError(f"{option}: expected hex bytes or @FILE, got {text[:40]!r}{file_hint(text)}") from None


def file_hint(text: str) -> str:
    """A hint when a value meant as @FILE was given without its '@'."""
    try:
        exists = Path(text).expanduser().is_file()
    except (OSError, ValueError):
        exists = False
    return f" (a file of that name exists: to read it, write @{text})" if exists else ""


def read_token(text: str) -> str:
    if text.startswith("@"):
        try:
            text = Path(text[1:]).expanduser().read_text()
        except (OSError, UnicodeDecodeError) as err:
            raise GuardctlError(f"--token: cannot read {text[1:]}: {err}") from None
    token = text.strip()
    if not token:
        raise GuardctlError("--token is empty")
    return token


def parse_near_option(text: str, option: str) -> int:
    try:
        return parse_near(text)
    except ValueError as err:
        raise GuardctlError(f"{option}: {err}") from None


def parse_time_option(text: str, option: str, now: int) -> int:
    try:
        return parse_time(text, now)
    except ValueError as err:
        raise GuardctlError(f"{option}: {err}") from None
