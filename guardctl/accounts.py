"""Accounts a contract is deployed to: what its storage costs, a new sub-account, an existing target."""
from __future__ import annotations

from typing import Optional

from py_near import transactions

from .amounts import YOCTO_PER_NEAR, format_near
from .context import Context
from .credentials import credentials_path, generate_identity, identity_from_file, save_identity
from .errors import GuardctlError
from .chain import NO_CODE_HASH

# Bytes NEAR charges storage for besides the code: the account record (100),
# one full-access key (~40 + key) and the guard's own state (JSON keys and
# settings; a few KB with 16 large keys).
ACCOUNT_OVERHEAD_BYTES = 100 + 80
STATE_ALLOWANCE_BYTES = 40_000


def storage_cost(code_size: int, storage_byte_cost: int) -> int:
    """What a contract of `code_size` bytes locks, at the network's price (`chain.storage_byte_cost()`)."""
    return (code_size + ACCOUNT_OVERHEAD_BYTES + STATE_ALLOWANCE_BYTES) * storage_byte_cost


async def create_sub_account(ctx: Context, chain, guard: str, balance: Optional[int], needed: int):
    """Create `guard` as a sub-account of --account; (its Identity, key file, TxReport)."""
    parent = ctx.identity()
    if not guard.endswith("." + parent.account_id):
        raise GuardctlError(f"{parent.account_id} can only create its own sub-accounts "
                            f"(*.{parent.account_id}), not {guard}")
    await chain.check_signer(parent)
    if await chain.account_exists(guard):
        raise GuardctlError(f"{guard} already exists; deploy to it without --create")
    balance = balance if balance is not None else needed + YOCTO_PER_NEAR
    available = await chain.available_balance(parent.account_id)
    if available < balance + YOCTO_PER_NEAR // 10:
        raise GuardctlError(f"{parent.account_id} has {format_near(available)} available; creating {guard} "
                            f"with {format_near(balance)} needs more")
    key_path = credentials_path(ctx.network, guard)
    if key_path.exists():
        # Left by an earlier attempt whose account creation did not happen:
        # the account does not exist, so the stored key is still unused.
        guard_identity = identity_from_file(key_path, guard)
        ctx.out.progress(f"reusing the unused key stored in {key_path}")
    else:
        guard_identity = generate_identity(guard)
        # Saved before the account exists, so its only key can never be lost.
        save_identity(guard_identity, ctx.network)
    ctx.out.progress(f"creating {guard} with {format_near(balance)}; its key is in {key_path}")
    report = await chain.transact(parent, guard, [
        transactions.create_create_account_action(),
        transactions.create_transfer_action(balance),
        transactions.create_full_access_key_action(guard_identity.public_key),
    ], f"creating {guard}")
    return guard_identity, key_path, report


async def existing_deploy_target(ctx: Context, chain, account_id: str, needed: int, *,
                                 what: str = "guard", instead: str = "use 'guardctl upgrade' to change its code"):
    """The Identity that signs as an existing `account_id`, after checking it can take the contract:
    no initialised contract there yet, and enough balance for the contract's storage."""
    identity = ctx.identity(account_id)
    await chain.check_signer(identity)
    state = await chain.view_account(account_id)
    if state["code_hash"] != NO_CODE_HASH:
        try:
            current_owner = await chain.view(account_id, "owner")
        except GuardctlError:
            current_owner = None
        if current_owner:
            raise GuardctlError(f"{account_id} already runs an initialised {what} (owner {current_owner}); {instead}")
    available = await chain.available_balance(account_id)
    if available < needed:
        raise GuardctlError(f"{account_id} has {format_near(available)} available but the {what}'s storage needs "
                            f"about {format_near(needed)}; send it more NEAR first")
    return identity
