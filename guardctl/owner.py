"""The owner's signature on an admin call."""
from __future__ import annotations

from .chain import Chain
from .context import Context


async def as_owner(ctx: Context, chain: Chain, method: str):
    """(guard, identity) after checking the signer exists and owns the guard."""
    guard = ctx.require_guard()
    identity = ctx.identity()
    await chain.check_signer(identity)
    await ctx.require_owner(chain, guard, identity, method)
    return guard, identity
