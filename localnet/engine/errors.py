"""NEAR's function-call errors, with the texts nearcore prints for them.

Each error carries two spellings: `display` is what a transaction outcome
shows (`ExecutionError("Smart contract panicked: boom")`), `debug` is Rust's
`{:?}` of the error, which view calls put after "wasm execution failed with
error: " (`HostError(GuestPanic { panic_msg: "boom" })`).
"""
from __future__ import annotations


def rust_debug_str(text: str) -> str:
    """Quote a string the way Rust's `{:?}` does."""
    out = ['"']
    for ch in text:
        if ch == '"':
            out.append('\\"')
        elif ch == "\\":
            out.append("\\\\")
        elif ch == "\n":
            out.append("\\n")
        elif ch == "\r":
            out.append("\\r")
        elif ch == "\t":
            out.append("\\t")
        elif ch == "\0":
            out.append("\\0")
        elif ord(ch) < 0x20 or ord(ch) == 0x7F:
            out.append(f"\\u{{{ord(ch):x}}}")
        else:
            out.append(ch)
    out.append('"')
    return "".join(out)


def rust_debug_struct(name: str, fields: dict) -> str:
    if not fields:
        return name
    parts = []
    for key, value in fields.items():
        rendered = rust_debug_str(value) if isinstance(value, str) else str(value)
        parts.append(f"{key}: {rendered}")
    return f"{name} {{ {', '.join(parts)} }}"


class HostError(Exception):
    """A `HostError` raised by a host function; it aborts the call."""

    def __init__(self, variant: str, display: str, **fields):
        super().__init__(display)
        self.variant = variant
        self.display = display
        self.fields = fields

    @property
    def debug(self) -> str:
        return rust_debug_struct(self.variant, self.fields)


def bad_utf8() -> HostError:
    return HostError("BadUTF8", "String encoding is bad UTF-8 sequence.")


def bad_utf16() -> HostError:
    return HostError("BadUTF16", "String encoding is bad UTF-16 sequence.")


def gas_exceeded() -> HostError:
    return HostError("GasExceeded", "Exceeded the prepaid gas.")


def gas_limit_exceeded() -> HostError:
    return HostError(
        "GasLimitExceeded", "Exceeded the maximum amount of gas allowed to burn per contract."
    )


def balance_exceeded() -> HostError:
    return HostError("BalanceExceeded", "Exceeded the account balance.")


def empty_method_name() -> HostError:
    return HostError("EmptyMethodName", "Tried to call an empty method name.")


def guest_panic(message: str) -> HostError:
    return HostError("GuestPanic", f"Smart contract panicked: {message}", panic_msg=message)


def integer_overflow() -> HostError:
    return HostError("IntegerOverflow", "Integer overflow.")


def invalid_promise_index(promise_idx: int) -> HostError:
    return HostError(
        "InvalidPromiseIndex",
        f"{promise_idx} does not correspond to existing promises",
        promise_idx=promise_idx,
    )


def cannot_append_action_to_joint_promise() -> HostError:
    return HostError(
        "CannotAppendActionToJointPromise", "Actions can only be appended to non-joint promise."
    )


def cannot_return_joint_promise() -> HostError:
    return HostError(
        "CannotReturnJointPromise", "Returning joint promise is currently prohibited."
    )


def invalid_promise_result_index(result_idx: int) -> HostError:
    return HostError(
        "InvalidPromiseResultIndex",
        f"Accessed invalid promise result index: {result_idx}",
        result_idx=result_idx,
    )


def invalid_register_id(register_id: int) -> HostError:
    return HostError(
        "InvalidRegisterId",
        f"Accessed invalid register id: {register_id}",
        register_id=register_id,
    )


def memory_access_violation() -> HostError:
    return HostError("MemoryAccessViolation", "Accessed memory outside the bounds.")


def invalid_account_id() -> HostError:
    return HostError("InvalidAccountId", "VM Logic returned an invalid account id")


def invalid_method_name() -> HostError:
    return HostError("InvalidMethodName", "VM Logic returned an invalid method name")


def invalid_public_key() -> HostError:
    return HostError("InvalidPublicKey", "VM Logic provided an invalid public key")


def prohibited_in_view(method_name: str) -> HostError:
    return HostError(
        "ProhibitedInView",
        f"{method_name} is not allowed in view calls",
        method_name=method_name,
    )


def number_of_logs_exceeded(limit: int) -> HostError:
    return HostError(
        "NumberOfLogsExceeded", f"The number of logs will exceed the limit {limit}", limit=limit
    )


def key_length_exceeded(length: int, limit: int) -> HostError:
    return HostError(
        "KeyLengthExceeded",
        f"The length of a storage key {length} exceeds the limit {limit}",
        length=length,
        limit=limit,
    )


def value_length_exceeded(length: int, limit: int) -> HostError:
    return HostError(
        "ValueLengthExceeded",
        f"The length of a storage value {length} exceeds the limit {limit}",
        length=length,
        limit=limit,
    )


def total_log_length_exceeded(length: int, limit: int) -> HostError:
    return HostError(
        "TotalLogLengthExceeded",
        f"The length of a log message {length} exceeds the limit {limit}",
        length=length,
        limit=limit,
    )


def number_promises_exceeded(number_of_promises: int, limit: int) -> HostError:
    return HostError(
        "NumberPromisesExceeded",
        f"The number of promises within a FunctionCall {number_of_promises} exceeds the limit {limit}",
        number_of_promises=number_of_promises,
        limit=limit,
    )


def number_input_data_dependencies_exceeded(count: int, limit: int) -> HostError:
    return HostError(
        "NumberInputDataDependenciesExceeded",
        f"The number of input data dependencies {count} exceeds the limit {limit}",
        number_of_input_data_dependencies=count,
        limit=limit,
    )


def returned_value_length_exceeded(length: int, limit: int) -> HostError:
    return HostError(
        "ReturnedValueLengthExceeded",
        f"The length of a returned value {length} exceeds the limit {limit}",
        length=length,
        limit=limit,
    )


def contract_size_exceeded(size: int, limit: int) -> HostError:
    return HostError(
        "ContractSizeExceeded",
        f"The size of a contract code in DeployContract action {size} exceeds the limit {limit}",
        size=size,
        limit=limit,
    )


def deprecated(method_name: str) -> HostError:
    return HostError(
        "Deprecated",
        f"Attempted to call deprecated host function {method_name}",
        method_name=method_name,
    )


def ecrecover_error(msg: str) -> HostError:
    return HostError("ECRecoverError", f"ECDSA recover error: {msg}", msg=msg)


def ed25519_invalid_input(msg: str) -> HostError:
    return HostError(
        "Ed25519VerifyInvalidInput", f"ED25519 signature verification error: {msg}", msg=msg
    )


def unimplemented(name: str) -> HostError:
    """Not a NEAR error: this node lacks the host function the contract called."""
    return HostError(
        "Unimplemented",
        f"Host function `{name}` is not implemented by the localnet node",
        name=name,
    )


WASM_TRAP_DISPLAY = {
    "Unreachable": "An `unreachable` opcode was executed.",
    "IncorrectCallIndirectSignature": "Call indirect incorrect signature trap.",
    "MemoryOutOfBounds": "Memory out of bounds trap.",
    "CallIndirectOOB": "Call indirect out of bounds trap.",
    "IllegalArithmetic": "An arithmetic exception, e.g. divided by zero.",
    "MisalignedAtomicAccess": "Misaligned atomic access trap.",
    "IndirectCallToNull": "Indirect call to null.",
    "StackOverflow": "Stack overflow.",
    "GenericTrap": "Generic trap.",
}
