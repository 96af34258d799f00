"""State records as sandbox_patch_state sends them (nearcore's core/primitives/src/state_record.rs).

Like nearcore, an Account record's storage_usage is taken as given, not
recomputed; a Contract record also sets the account's code_hash so the
account stays consistent with its code.
"""
from __future__ import annotations

import base64
import hashlib

import base58

from ..primitives import AccessKey, FullAccess, FunctionCallPermission, is_valid_account_id
from .keys import parse_public_key
from .state import AccountRecord, StateUpdate


def apply_state_record(update: StateUpdate, record: dict) -> None:
    """Write one sandbox_patch_state record (Account, AccessKey, Contract or Data) as given."""
    if not isinstance(record, dict) or len(record) != 1:
        raise ValueError(f"a state record is an object with one key, got {record!r}")
    (kind, fields), = record.items()
    account_id = fields.get("account_id")
    if not isinstance(account_id, str) or not is_valid_account_id(account_id):
        raise ValueError(f"invalid account_id in {kind} record: {account_id!r}")
    if kind == "Account":
        account = fields["account"]
        code_hash = account.get("code_hash", "11111111111111111111111111111111")
        update.set_account(
            account_id,
            AccountRecord(
                int(account.get("amount", 0)),
                int(account.get("locked", 0)),
                base58.b58decode(code_hash),
                int(account.get("storage_usage", 0)),
            ),
        )
    elif kind == "AccessKey":
        key = access_key_from_view(fields["access_key"])
        update.set_access_key(account_id, parse_public_key(fields["public_key"]), key)
    elif kind == "Contract":
        code = base64.b64decode(fields["code"])
        update.set_code(account_id, code)
        account = update.get_account(account_id)
        if account is not None:
            update.set_account(account_id, AccountRecord(
                account.amount, account.locked, hashlib.sha256(code).digest(), account.storage_usage
            ))
    elif kind == "Data":
        update.set_data(account_id, base64.b64decode(fields["data_key"]), base64.b64decode(fields["value"]))
    else:
        raise ValueError(f"unsupported state record kind {kind!r}")


def access_key_from_view(view: dict) -> AccessKey:
    permission = view.get("permission", "FullAccess")
    if permission == "FullAccess":
        return AccessKey(int(view.get("nonce", 0)), FullAccess())
    call = permission["FunctionCall"]
    allowance = call.get("allowance")
    return AccessKey(
        int(view.get("nonce", 0)),
        FunctionCallPermission(
            None if allowance is None else int(allowance),
            call["receiver_id"],
            tuple(call.get("method_names", ())),
        ),
    )
