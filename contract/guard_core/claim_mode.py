"""Claim mode (predecessor binding): a token works only for the account that claimed it.

Off by default. A user account first calls the guard's `claim(jwt_hash)` with
`jwt_hash = sha256(jwt)` (64 hex characters, or 32 bytes as a JSON array),
paying for the record's storage; with claim mode on, `verify` also requires
sha256 of the token it is given to equal the hash claimed by `predecessor`
(the verify argument: the account that called FastAuth). One claim per
account; a new claim replaces the old one; `unclaim` deletes it and returns
the storage deposit.

A token can be claimed by one account at a time: claiming a hash another
account holds is refused. A user claims before using the token, and the claim
transaction shows only the hash; by the time the token itself appears on
chain (in FastAuth.sign's arguments) it is already bound, so whoever copies
it from there can neither use it from their own account nor claim it.

Storage, like NEP-145's accounting: two records per claim, `c/<account id>`
-> the 32 raw hash bytes, and `h/<32 hash bytes>` -> the account id (the
one-account-per-token index). NEAR charges a record len(key) + len(value) + 40
bytes at 10^19 yocto per byte, so a claim costs
(2 + len(account id) + 32 + 40) x 2 x 10^19 yocto: 0.00176 NEAR for a
14-character account. The shell measures the storage a claim adds
(storage_usage before and after) rather than trusting this formula;
`claim_storage_bytes` is what the `get_claim_deposit` view reports.
"""

import binascii

from . import reasons, values

CLAIM_KEY_PREFIX = "c/"
HASH_KEY_PREFIX = b"h/"
HASH_BYTES = 32
RECORD_OVERHEAD_BYTES = 40
STORAGE_BYTE_COST = 10000000000000000000  # yocto per byte (near-sdk's storage_byte_cost)

BAD_HASH = "Invalid arguments: jwt_hash must be sha256(jwt) as 64 hex characters or a list of 32 bytes"
DEPOSIT_REQUIRED = "Attach a deposit: a claim needs at least 1 yoctoNEAR and its storage cost"
INSUFFICIENT_DEPOSIT = "Insufficient deposit: this claim needs "
ONE_YOCTO_REQUIRED = "Requires attached deposit of exactly 1 yoctoNEAR"
NO_CLAIM_TO_REMOVE = "No claim to remove for this account"
CLAIMED_BY_ANOTHER = "This token is already claimed by another account"

_HEX = "0123456789abcdefABCDEF"
MAX_ACCOUNT_ID_BYTES = 64


def parse_jwt_hash(value):
    """The 32 hash bytes of a hex string or a JSON byte list, or None."""
    if type(value) is str:
        # strip() leaves nothing only when every character is a hex digit.
        if len(value) != 2 * HASH_BYTES or value.strip(_HEX):
            return None
        # Only hex digits, even length: unhexlify cannot fail.
        return binascii.unhexlify(value)
    if type(value) is list and len(value) == HASH_BYTES:
        return values.bytes_from_list(value)
    return None


def storage_key(account_id):
    return CLAIM_KEY_PREFIX + account_id


def hash_key(jwt_hash):
    """Storage key of the hash -> account index (bytes)."""
    return HASH_KEY_PREFIX + jwt_hash


def claim_storage_bytes(account_id):
    """Bytes of state one claim by `account_id` occupies (both records)."""
    return 2 * (len(CLAIM_KEY_PREFIX) + len(account_id) + HASH_BYTES + RECORD_OVERHEAD_BYTES)


def check_predecessor_claim(token, predecessor, read_claim, sha256):
    """Claim mode's verify rule: None, or a reason.

    read_claim: (account_id) -> the stored 32 bytes, or None. Called only for
    a plausible account id (2-64 characters): other values have no claim, and
    must not reach storage_read, whose keys are bounded.
    """
    stored = None
    if type(predecessor) is str and 2 <= len(predecessor) <= MAX_ACCOUNT_ID_BYTES:
        stored = read_claim(predecessor)
    return check_claim(stored, token, sha256)


def check_claim(stored_hash, token, sha256):
    """None when sha256(token) equals the predecessor's stored claim, else a reason.

    stored_hash: the predecessor's stored 32 bytes, or None when it has no claim.
    """
    if stored_hash is None:
        return reasons.NO_CLAIM
    if type(token) is not str:
        return reasons.NOT_CLAIMED
    if sha256(token.encode()) != stored_hash:
        return reasons.NOT_CLAIMED
    return None
