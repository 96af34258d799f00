"""What guardctl knows of Peersyst/fast-auth's JwtGuardRouter: its deposit, its guard names, its registry view."""
from __future__ import annotations

from .amounts import YOCTO_PER_NEAR
from .errors import GuardctlError

# JwtGuardRouter.add_guard: storage_byte_cost × (GUARD_NAME_MAX_BYTES_LENGTH +
# MAX_ACCOUNT_BYTES_LENGTH) + 1 NEAR contingency.
ROUTER_CHECKED_NAME_BYTES = 2048
ROUTER_ACCOUNT_MAX_BYTES = 64

# The router checks 2048 bytes, but near-sdk stores a guard under "g" + u32
# length + name and NEAR refuses storage keys over 2048 bytes: 2043 is what fits.
ROUTER_NAME_MAX_BYTES = ROUTER_CHECKED_NAME_BYTES - 5


def router_deposit(storage_byte_cost: int) -> int:
    """What the router's add_guard requires: storage for the longest name it checks and the
    longest account id at the network's byte price, plus 1 NEAR."""
    return storage_byte_cost * (ROUTER_CHECKED_NAME_BYTES + ROUTER_ACCOUNT_MAX_BYTES) + YOCTO_PER_NEAR


def check_guard_name(issuer: str) -> str:
    if not issuer:
        raise GuardctlError("--issuer is required: the token's exact iss, which becomes the router's guard name")
    if "#" in issuer:
        raise GuardctlError(f"issuer {issuer!r} contains '#', which JwtGuardRouter refuses in guard names")
    if len(issuer.encode()) > ROUTER_NAME_MAX_BYTES:
        raise GuardctlError(f"issuer is {len(issuer.encode())} bytes; a router guard name can be at most "
                            f"{ROUTER_NAME_MAX_BYTES} bytes (its storage key adds 5 to NEAR's 2048-byte limit)")
    return issuer


async def registered_guard(chain, router: str, name: str):
    """The guard account the router maps `name` to, or None when it has none."""
    try:
        return await chain.view(router, "get_guard", {"guard_name": name})
    except GuardctlError as err:
        if "does not exist" in str(err) and "Guard with name" in str(err):
            return None
        raise GuardctlError(f"{router} does not answer like a JwtGuardRouter: {err}") from None
