"""Function-call access keys: what they may sign, and their allowance."""
from __future__ import annotations

import pytest

from localnet.chain import InvalidTransaction
from localnet.primitives import NEAR, TERA, AccessKey, AddKey, FunctionCall, FunctionCallPermission, Transfer

from .conftest import create_account, key_for, sign

CALL = FunctionCall("allowed", b"{}", 10 * TERA, 0)


@pytest.fixture
def limited(chain):
    create_account(chain, "alice.test.near")
    key = key_for("alice limited")
    permission = FunctionCallPermission(NEAR, "contract.test.near", ("allowed",))
    assert chain.execute("alice.test.near", "alice.test.near", [AddKey(key.public_key, AccessKey(0, permission))]).succeeded
    return key


def refusal(chain, key, receiver_id, actions):
    with pytest.raises(InvalidTransaction) as excinfo:
        chain.submit_transaction(sign(chain, key, "alice.test.near", receiver_id, actions))
    return excinfo.value.payload["TxExecutionError"]["InvalidTxError"]["InvalidAccessKeyError"]


def allowance(chain, key) -> int:
    permission = chain.view_access_key("alice.test.near", key.public_key_text)["permission"]
    return int(permission["FunctionCall"]["allowance"])


def test_function_call_key_cannot_transfer(chain, limited):
    assert refusal(chain, limited, "contract.test.near", [Transfer(1)]) == "RequiresFullAccess"


def test_function_call_key_signs_a_single_call(chain, limited):
    assert refusal(chain, limited, "contract.test.near", [CALL, CALL]) == "RequiresFullAccess"


def test_function_call_key_is_bound_to_its_receiver(chain, limited):
    assert refusal(chain, limited, "other.test.near", [CALL]) == {
        "ReceiverMismatch": {"tx_receiver": "other.test.near", "ak_receiver": "contract.test.near"}
    }


def test_function_call_key_is_bound_to_its_methods(chain, limited):
    call = FunctionCall("other", b"", 10 * TERA, 0)
    assert refusal(chain, limited, "contract.test.near", [call]) == {"MethodNameMismatch": {"method_name": "other"}}


def test_function_call_key_cannot_attach_a_deposit(chain, limited):
    call = FunctionCall("allowed", b"", 10 * TERA, 1)
    assert refusal(chain, limited, "contract.test.near", [call]) == "DepositWithFunctionCall"


def test_function_call_key_with_an_empty_method_list_allows_any_method(chain):
    create_account(chain, "alice.test.near")
    key = key_for("any method")
    permission = FunctionCallPermission(None, "contract.test.near", ())
    chain.execute("alice.test.near", "alice.test.near", [AddKey(key.public_key, AccessKey(0, permission))])
    outcome = chain.submit_transaction(sign(chain, key, "alice.test.near", "contract.test.near", [FunctionCall("whatever", b"", TERA, 0)]))
    # Accepted; it fails only because the receiver does not exist.
    assert "AccountDoesNotExist" in outcome["status"]["Failure"]["ActionError"]["kind"]


def test_allowance_must_cover_the_whole_prepaid_cost(chain):
    create_account(chain, "alice.test.near")
    key = key_for("tiny")
    permission = FunctionCallPermission(10**20, "contract.test.near", ())
    chain.execute("alice.test.near", "alice.test.near", [AddKey(key.public_key, AccessKey(0, permission))])
    error = refusal(chain, key, "contract.test.near", [CALL])
    cost = (
        108_059_500_000 * 2  # receipt creation, send + exec
        + 200_000_000_000 + 780_000_000_000  # function call base, send + exec
        + (47_683_715 + 2_235_934) * (len("allowed") + 2)  # per byte, sent to another account
        + 10 * TERA
    ) * 100_000_000
    assert error == {
        "NotEnoughAllowance": {
            "account_id": "alice.test.near",
            "public_key": key.public_key_text,
            "allowance": str(10**20),
            "cost": str(cost),
        }
    }


def test_allowance_pays_for_gas_and_gets_unused_gas_back(chain, limited):
    create_account(chain, "contract.test.near")  # no code: the call fails early, most gas unused
    before = allowance(chain, limited)
    outcome = chain.submit_transaction(sign(chain, limited, "alice.test.near", "contract.test.near", [CALL]))
    assert "CodeDoesNotExist" in str(outcome["status"])
    burnt = int(outcome["transaction_outcome"]["outcome"]["tokens_burnt"]) + sum(
        int(r["outcome"]["tokens_burnt"]) for r in outcome["receipts_outcome"]
    )
    assert allowance(chain, limited) == before - burnt
