"""How a sent transaction is reported."""
from __future__ import annotations

from .amounts import format_gas, format_near
from .chain import TxReport


def gas_line(label: str, report: TxReport) -> str:
    return f"{label}: gas burnt {format_gas(report.gas_burnt)}, fee {format_near(report.tokens_burnt)} (tx {report.hash})"
