"""What every command gets: the resolved global options and helpers built on them."""
from __future__ import annotations

from dataclasses import dataclass
from typing import Optional

from guard_core import values

from .chain import NO_CODE_HASH, Chain
from .credentials import Identity, resolve_identity
from .errors import GuardctlError
from .output import Output

def check_account_id(value: Optional[str], option: str) -> str:
    """`value` when it is a NEAR account id by the guard's own rule (guard_core.values.is_account_id)."""
    if not value:
        raise GuardctlError(f"{option} is required")
    if not values.is_account_id(value):
        raise GuardctlError(f"{option} {value!r} is not a valid NEAR account id")
    return value


@dataclass
class Context:
    network: str
    rpc_url: str
    account: Optional[str]
    guard: Optional[str]
    key_file: Optional[str]
    rpc_timeout: float
    gas: int
    out: Output

    def require_guard(self) -> str:
        if not self.guard:
            raise GuardctlError("pass --guard ID (the guard's account)")
        return check_account_id(self.guard, "--guard")

    def identity(self, account_id: Optional[str] = None) -> Identity:
        """The key that signs as `account_id` (default: --account)."""
        option = "--account" if account_id is None else "--guard"
        account_id = account_id or self.account
        if account_id:
            check_account_id(account_id, option)
        return resolve_identity(account_id, self.network, self.key_file)

    def chain(self) -> Chain:
        return Chain(self.rpc_url, self.network, self.rpc_timeout)

    async def check_guard(self, chain: Chain, guard: str) -> dict:
        """The guard account's state; a clear error if it is missing or has no code."""
        if not await chain.account_exists(guard):
            raise GuardctlError(f"guard {guard} does not exist on {self.network}")
        state = await chain.view_account(guard)
        if state["code_hash"] == NO_CODE_HASH:
            raise GuardctlError(f"{guard} has no contract deployed (run 'guardctl deploy' first)")
        return state

    async def require_owner(self, chain: Chain, guard: str, identity: Identity, method: str) -> str:
        """Refuse before paying for a call the guard would refuse: only its owner may."""
        await self.check_guard(chain, guard)
        owner = await chain.view(guard, "owner")
        if owner != identity.account_id:
            raise GuardctlError(f"{identity.account_id} is not the owner of {guard} (the owner is {owner}); "
                                f"only the owner can call {method}")
        return owner
