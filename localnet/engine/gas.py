"""The gas counter, following nearcore's `GasCounter` rule for rule.

Burnt gas is spent for good; used gas additionally holds what was prepaid to
outgoing receipts (their execution fees and attached gas).  A charge that
would push burnt gas over `max_gas_burnt` or used gas over the prepaid gas
fails the call, and the counter then keeps exactly what nearcore keeps.
"""
from __future__ import annotations

from . import errors
from .config import U64_MAX, RuntimeConfig

WASM_INSTRUCTION = "WASM_INSTRUCTION"


class GasCounter:
    def __init__(self, config: RuntimeConfig, prepaid_gas: int, is_view: bool):
        self.config = config
        self.max_gas_burnt = config.limits.max_gas_burnt
        # Views have no prepaid gas; only the burn limit applies.
        self.prepaid_gas = U64_MAX if is_view else prepaid_gas
        self.is_view = is_view
        self.burnt = 0
        self.promises_gas = 0
        self.gas_limit = min(self.max_gas_burnt, self.prepaid_gas)
        self.profile: dict[str, int] = {}

    @property
    def used(self) -> int:
        return self.burnt + self.promises_gas

    @property
    def remaining(self) -> int:
        """Gas that may still be burnt before a limit trips."""
        return max(self.gas_limit - self.burnt, 0)

    def _record(self, cost_name: str, before: int) -> None:
        delta = self.burnt - before
        if delta:
            self.profile[cost_name] = self.profile.get(cost_name, 0) + delta

    def burn(self, gas: int, cost_name: str = WASM_INSTRUCTION) -> None:
        before = self.burnt
        try:
            self._burn(gas)
        finally:
            self._record(cost_name, before)

    def _burn(self, gas: int) -> None:
        new_burnt = self.burnt + gas
        if new_burnt > U64_MAX:
            raise errors.integer_overflow()
        if new_burnt <= self.gas_limit:
            self.burnt = new_burnt
            return
        raise self._process_gas_limit(new_burnt, new_burnt + self.promises_gas)

    def _process_gas_limit(self, new_burnt: int, new_used: int) -> errors.HostError:
        hard_burnt_limit = min(self.prepaid_gas, self.max_gas_burnt)
        self.burnt = min(new_burnt, hard_burnt_limit)
        self.promises_gas = max(min(self.prepaid_gas, new_used) - self.burnt, 0)
        if new_burnt > self.max_gas_burnt:
            return errors.gas_limit_exceeded()
        return errors.gas_exceeded()

    def pay_base(self, cost_name: str) -> None:
        self.burn(self.config.ext_costs[cost_name], cost_name)

    def pay_per(self, cost_name: str, count: int) -> None:
        gas = count * self.config.ext_costs[cost_name]
        if gas > U64_MAX:
            raise errors.integer_overflow()
        self.burn(gas, cost_name)

    def deduct(self, burn_gas: int, use_gas: int, action_name: str | None = None) -> None:
        """Burn `burn_gas` and reserve the rest of `use_gas` for outgoing receipts."""
        before = self.burnt
        try:
            promise_part = use_gas - burn_gas
            new_promises = self.promises_gas + promise_part
            new_burnt = self.burnt + burn_gas
            new_used = new_burnt + new_promises
            if max(new_promises, new_burnt, new_used) > U64_MAX:
                raise errors.integer_overflow()
            if new_burnt <= self.max_gas_burnt and new_used <= self.prepaid_gas:
                if promise_part and not self.is_view:
                    self.gas_limit = min(self.max_gas_burnt, self.prepaid_gas - new_promises)
                self.burnt = new_burnt
                self.promises_gas = new_promises
                return
            raise self._process_gas_limit(new_burnt, new_used)
        finally:
            if action_name is not None:
                self._record(action_name, before)

    def prepay(self, gas: int) -> None:
        self.deduct(0, gas)
