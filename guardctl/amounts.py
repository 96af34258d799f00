"""NEAR amounts (yoctoNEAR ↔ NEAR) and gas, as users type and read them."""
from __future__ import annotations

from decimal import Decimal, InvalidOperation

YOCTO_PER_NEAR = 10**24
GAS_PER_TGAS = 10**12


def parse_near(text: str) -> int:
    """'1.5' → 1.5 NEAR in yocto. Raises ValueError on anything else."""
    try:
        amount = Decimal(str(text).strip())
    except InvalidOperation:
        raise ValueError(f"not a NEAR amount: {text!r}") from None
    if not amount.is_finite() or amount < 0:
        raise ValueError(f"not a NEAR amount: {text!r}")
    yocto = amount * YOCTO_PER_NEAR
    if yocto != yocto.to_integral_value():
        raise ValueError(f"{text} NEAR has more than 24 decimals")
    return int(yocto)


def format_near(yocto: int, places: int = 5) -> str:
    """1021120000000000000000000 → '1.02112 NEAR' (trailing zeros trimmed)."""
    amount = Decimal(int(yocto)) / YOCTO_PER_NEAR
    text = f"{amount:.{places}f}".rstrip("0").rstrip(".")
    if text in ("0", "-0") and yocto:
        text = f"{amount:.2e}"
    return f"{text} NEAR"


def format_gas(gas: int) -> str:
    return f"{Decimal(int(gas)) / GAS_PER_TGAS:.2f} Tgas"
