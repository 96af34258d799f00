"""Node test contract: cross-contract calls, callbacks and promise_return.

Raw `near` module; JSON in and out.  Like near-sdk, calls attach 0 static gas
with gas weight 1, so the node must share the caller's unused gas among them
(`call`, `call_both`, `forward`); `call_static` uses promise_create and
promise_then with explicit static gas instead.
"""
import json

import near

_CALLBACK = "on_result"


def _args():
    data = near.input()
    return json.loads(data.decode()) if data else {}


def _return_json(value):
    near.value_return(json.dumps(value))


def _call_weighted(account, method, arguments, deposit=0, static_gas=0):
    promise = near.promise_batch_create(account)
    near.promise_batch_action_function_call_weight(promise, method, arguments, deposit, static_gas, 1)
    return promise


def _then_callback(promise, tag):
    callback = near.promise_batch_then(promise, near.current_account_id())
    near.promise_batch_action_function_call_weight(callback, _CALLBACK, json.dumps({"tag": tag}), 0, 0, 1)
    return callback


@near.export
def call():
    """{"target", "method", "args": str, "deposit"?: str} -> the callback's report.

    target.method(args) then self.on_result; the callback's value becomes this
    call's result (promise_return).
    """
    args = _args()
    promise = _call_weighted(args["target"], args["method"], args.get("args", "{}"), int(args.get("deposit", "0")))
    near.promise_return(_then_callback(promise, args.get("tag", "call")))


@near.export
def call_both():
    """{"target", "first": [method, args], "second": [method, args]} -> report of both results.

    Two calls joined with promise_and, then one callback that sees both
    results in dependency order.
    """
    args = _args()
    first = _call_weighted(args["target"], args["first"][0], args["first"][1])
    second = _call_weighted(args["target"], args["second"][0], args["second"][1])
    near.promise_return(_then_callback(near.promise_and([first, second]), args.get("tag", "both")))


@near.export
def call_static():
    """{"target", "method", "args": str, "gas", "callback_gas"} -> callback's report.

    Same as `call`, with promise_create/promise_then and explicit static gas.
    """
    args = _args()
    promise = near.promise_create(args["target"], args["method"], args.get("args", "{}"), 0, args["gas"])
    callback = near.promise_then(promise, near.current_account_id(), _CALLBACK,
                                 json.dumps({"tag": args.get("tag", "static")}), 0, args["callback_gas"])
    near.promise_return(callback)


@near.export
def forward():
    """{"target", "method", "args": str} -> target's own result (promise_return)."""
    args = _args()
    near.promise_return(_call_weighted(args["target"], args["method"], args.get("args", "{}")))


@near.export
def fire_and_forget():
    """{"target", "method", "args": str} -> "scheduled"; the call runs later, unobserved."""
    args = _args()
    _call_weighted(args["target"], args["method"], args.get("args", "{}"))
    _return_json("scheduled")


@near.export
def on_result():
    """Callback: reports every promise result as {"status", "value"} (status 1 ok, 2 failed)."""
    tag = _args().get("tag")
    results = []
    for index in range(near.promise_results_count()):
        status, value = near.promise_result(index)
        results.append({"status": status, "value": None if value is None else value.decode()})
        near.log_utf8("result %d status %d" % (index, status))
    _return_json({"tag": tag, "predecessor": near.predecessor_account_id(), "results": results})
