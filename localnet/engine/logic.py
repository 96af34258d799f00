"""NEAR's host functions: the state of one call and what each import does.

Method `host_<name>` implements the `env.<name>` import with nearcore's
semantics, charges and checks in nearcore's order (the order decides which
error a contract sees and how much gas a failing call burns).  Arguments
arrive as unsigned integers; pointers index the contract's linear memory.
"""
from __future__ import annotations

import dataclasses
import logging
from typing import Optional

from ..primitives import (
    AccessKey,
    AddKey,
    CreateAccount,
    DeleteAccount,
    DeleteKey,
    DeployContract,
    FullAccess,
    FunctionCall,
    FunctionCallPermission,
    OutgoingReceipt,
    ReturnPromise,
    ReturnValue,
    Stake,
    Transfer,
    is_implicit_account_id,
    is_valid_account_id,
)
from . import crypto, errors
from .api import StorageReader, VMContext
from .config import U64_MAX, RuntimeConfig
from .gas import GasCounter

log = logging.getLogger("localnet.engine")

INLINE_DISK_VALUE_THRESHOLD = 4000


class Memory:
    """Bounds-checked, gas-charged access to the contract's linear memory."""

    def __init__(self, gas: GasCounter):
        self.gas = gas
        self.wasm_memory = None
        self.store = None  # the Store, or the Caller while a host function runs

    def _bounds(self, ptr: int, length: int) -> None:
        if ptr + length > self.wasm_memory.data_len(self.store):
            raise errors.memory_access_violation()

    def read_free(self, ptr: int, length: int) -> bytes:
        self._bounds(ptr, length)
        if length == 0:
            return b""
        return bytes(self.wasm_memory.read(self.store, ptr, ptr + length))

    def view(self, ptr: int, length: int) -> bytes:
        self.gas.pay_base("READ_MEMORY_BASE")
        self.gas.pay_per("READ_MEMORY_BYTE", length)
        return self.read_free(ptr, length)

    def get_uint(self, ptr: int, size: int) -> int:
        return int.from_bytes(self.view(ptr, size), "little")

    def set(self, ptr: int, data: bytes) -> None:
        self.gas.pay_base("WRITE_MEMORY_BASE")
        self.gas.pay_per("WRITE_MEMORY_BYTE", len(data))
        self._bounds(ptr, len(data))
        if data:
            self.wasm_memory.write(self.store, data, ptr)


class Registers:
    def __init__(self, gas: GasCounter, limits):
        self.gas = gas
        self.limits = limits
        self.values: dict[int, bytes] = {}
        self.total_memory_usage = 0

    def get(self, register_id: int) -> bytes:
        if register_id not in self.values:
            raise errors.invalid_register_id(register_id)
        data = self.values[register_id]
        self.gas.pay_base("READ_REGISTER_BASE")
        self.gas.pay_per("READ_REGISTER_BYTE", len(data))
        return data

    def length(self, register_id: int) -> Optional[int]:
        data = self.values.get(register_id)
        return None if data is None else len(data)

    def set(self, register_id: int, data: bytes) -> None:
        self.gas.pay_base("WRITE_REGISTER_BASE")
        self.gas.pay_per("WRITE_REGISTER_BYTE", len(data))
        if len(data) > self.limits.max_register_size:
            raise errors.memory_access_violation()
        # nearcore refuses even to overwrite a register once the count limit is
        # reached; that quirk is part of the protocol.
        if len(self.values) >= self.limits.max_number_registers:
            raise errors.memory_access_violation()
        old = self.values.get(register_id)
        usage = self.total_memory_usage - (len(old) + 8 if old is not None else 0) + len(data) + 8
        if usage > self.limits.registers_memory_limit:
            raise errors.memory_access_violation()
        self.total_memory_usage = usage
        self.values[register_id] = bytes(data)


class VMLogic:
    def __init__(
        self,
        context: VMContext,
        storage: StorageReader,
        config: RuntimeConfig,
        gas: GasCounter,
    ):
        self.context = context
        self.storage = storage
        self.config = config
        self.limits = config.limits
        self.gas = gas
        self.memory = Memory(gas)
        self.registers = Registers(gas, config.limits)
        self.logs: list[str] = []
        self.total_log_length = 0
        self.return_data = None
        self.balance = context.account_balance
        self.storage_usage = context.storage_usage
        self.storage_writes: dict[bytes, Optional[bytes]] = {}
        self.trie_keys_touched: set[bytes] = set()
        # A promise is a receipt index, or a list of them for `promise_and`.
        self.promises: list[int | list[int]] = []
        self.receipts: list[OutgoingReceipt] = []
        # (receipt index, action index, weight) of weighted function calls, in
        # the order they were added: the last one gets the rounding remainder.
        self.gas_weights: list[tuple[int, int, int]] = []

    # ----------------------------------------------------------- helpers

    def _view_guard(self, method_name: str) -> None:
        if self.context.view:
            raise errors.prohibited_in_view(method_name)

    def _memory_or_register(self, ptr: int, length: int) -> bytes:
        if length == U64_MAX:
            return self.registers.get(ptr)
        return self.memory.view(ptr, length)

    def _utf8_string(self, length: int, ptr: int) -> str:
        self.gas.pay_base("UTF8_DECODING_BASE")
        max_len = max(self.limits.max_total_log_length - self.total_log_length, 0)
        if length != U64_MAX:
            if length > max_len:
                raise errors.total_log_length_exceeded(
                    self.total_log_length + length, self.limits.max_total_log_length
                )
            buf = self.memory.view(ptr, length)
        else:
            collected = bytearray()
            for i in range(max_len + 1):
                byte = self.memory.get_uint(ptr + i, 1)
                if byte == 0:
                    break
                if i == max_len:
                    raise errors.total_log_length_exceeded(
                        self.total_log_length + max_len + 1, self.limits.max_total_log_length
                    )
                collected.append(byte)
            buf = bytes(collected)
        self.gas.pay_per("UTF8_DECODING_BYTE", len(buf))
        try:
            return buf.decode("utf-8")
        except UnicodeDecodeError:
            raise errors.bad_utf8() from None

    def _utf16_string(self, length: int, ptr: int) -> str:
        self.gas.pay_base("UTF16_DECODING_BASE")
        max_len = max(self.limits.max_total_log_length - self.total_log_length, 0)
        if length == U64_MAX:
            length = 0
            while self.memory.get_uint(ptr + length, 2) != 0:
                length += 2
                if length > max_len:
                    raise errors.total_log_length_exceeded(
                        self.total_log_length + length, self.limits.max_total_log_length
                    )
            raw = self.memory.read_free(ptr, length)
        else:
            raw = self.memory.view(ptr, length)
        if len(raw) % 2:
            raise errors.bad_utf16()
        if length > max_len:
            raise errors.total_log_length_exceeded(
                self.total_log_length + length, self.limits.max_total_log_length
            )
        self.gas.pay_per("UTF16_DECODING_BYTE", length)
        try:
            return raw.decode("utf-16-le")
        except UnicodeDecodeError:
            raise errors.bad_utf16() from None

    def _check_can_add_log(self) -> None:
        if len(self.logs) >= self.limits.max_number_logs:
            raise errors.number_of_logs_exceeded(self.limits.max_number_logs)

    def _push_log(self, message: str) -> None:
        length = len(message.encode("utf-8"))
        self.total_log_length += length
        if self.total_log_length > self.limits.max_total_log_length:
            # nearcore reports the already-updated total plus the length again.
            raise errors.total_log_length_exceeded(
                self.total_log_length + length, self.limits.max_total_log_length
            )
        self.logs.append(message)

    def _account_id(self, ptr: int, length: int) -> str:
        buf = self._memory_or_register(ptr, length)
        self.gas.pay_base("UTF8_DECODING_BASE")
        self.gas.pay_per("UTF8_DECODING_BYTE", len(buf))
        try:
            account_id = buf.decode("utf-8")
        except UnicodeDecodeError:
            raise errors.bad_utf8() from None
        if not is_valid_account_id(account_id):
            raise errors.invalid_account_id()
        return account_id

    def _public_key(self, ptr: int, length: int) -> bytes | None:
        """The key as read; None when it is not a Borsh public key (reported later, as nearcore does)."""
        raw = self._memory_or_register(ptr, length)
        valid = len(raw) >= 1 and (
            (raw[0] == 0 and len(raw) == 33) or (raw[0] == 1 and len(raw) == 65)
        )
        return raw if valid else None

    @staticmethod
    def _decoded_key(key: bytes | None) -> bytes:
        if key is None:
            raise errors.invalid_public_key()
        return key

    def _push_promise(self, promise) -> int:
        index = len(self.promises)
        self.promises.append(promise)
        limit = self.limits.max_promises_per_function_call_action
        if len(self.promises) > limit:
            raise errors.number_promises_exceeded(len(self.promises), limit)
        return index

    def _promise(self, promise_idx: int):
        if promise_idx >= len(self.promises):
            raise errors.invalid_promise_index(promise_idx)
        return self.promises[promise_idx]

    def _receipt_of(self, promise_idx: int) -> tuple[int, bool]:
        promise = self._promise(promise_idx)
        if isinstance(promise, list):
            raise errors.cannot_append_action_to_joint_promise()
        receiver = self.receipts[promise].receiver_id
        return promise, receiver == self.context.current_account_id

    def _fee(self, name: str):
        return self.config.action_fees[name]

    def _pay_action_base(self, name: str, sir: bool) -> None:
        fee = self._fee(name)
        burn = fee.send(sir)
        self.gas.deduct(burn, burn + fee.execution, name)

    def _pay_action_per_byte(self, name: str, count: int, sir: bool) -> None:
        fee = self._fee(name)
        burn = fee.send(sir) * count
        self.gas.deduct(burn, burn + fee.execution * count, name)

    def _pay_new_receipt(self, sir: bool, dependencies_sir: list[bool]) -> None:
        receipt_fee = self._fee("NEW_ACTION_RECEIPT")
        data_fee = self._fee("NEW_DATA_RECEIPT_BASE")
        burn = receipt_fee.send(sir)
        for dep_sir in dependencies_sir:
            burn += data_fee.send(dep_sir) + data_fee.execution
        self.gas.deduct(burn, burn + receipt_fee.execution, "NEW_ACTION_RECEIPT")

    def _deduct_balance(self, amount: int) -> None:
        if amount > self.balance:
            raise errors.balance_exceeded()
        self.balance -= amount

    def _charge_trie_walk(self, key: bytes) -> None:
        touched, cached = self.config.trie_nodes_per_write
        if key in self.trie_keys_touched:
            touched, cached = 0, touched + cached
        self.trie_keys_touched.add(key)
        self.gas.pay_per("TOUCHING_TRIE_NODE", touched)
        self.gas.pay_per("READ_CACHED_TRIE_NODE", cached)

    def _storage_get(self, key: bytes) -> Optional[bytes]:
        if key in self.storage_writes:
            return self.storage_writes[key]
        return self.storage.get(key)

    # ----------------------------------------------------------- registers

    def host_read_register(self, register_id: int, ptr: int) -> None:
        self.gas.pay_base("BASE")
        data = self.registers.get(register_id)
        self.memory.set(ptr, data)

    def host_register_len(self, register_id: int) -> int:
        self.gas.pay_base("BASE")
        length = self.registers.length(register_id)
        return U64_MAX if length is None else length

    def host_write_register(self, register_id: int, data_len: int, data_ptr: int) -> None:
        self.gas.pay_base("BASE")
        data = self.memory.view(data_ptr, data_len)
        self.registers.set(register_id, data)

    # ----------------------------------------------------------- context

    def host_current_account_id(self, register_id: int) -> None:
        self.gas.pay_base("BASE")
        self.registers.set(register_id, self.context.current_account_id.encode())

    def host_signer_account_id(self, register_id: int) -> None:
        self.gas.pay_base("BASE")
        self._view_guard("signer_account_id")
        self.registers.set(register_id, self.context.signer_account_id.encode())

    def host_signer_account_pk(self, register_id: int) -> None:
        self.gas.pay_base("BASE")
        self._view_guard("signer_account_pk")
        self.registers.set(register_id, self.context.signer_account_pk)

    def host_predecessor_account_id(self, register_id: int) -> None:
        self.gas.pay_base("BASE")
        self._view_guard("predecessor_account_id")
        self.registers.set(register_id, self.context.predecessor_account_id.encode())

    def host_input(self, register_id: int) -> None:
        self.gas.pay_base("BASE")
        self.registers.set(register_id, self.context.input)

    def host_block_index(self) -> int:
        self.gas.pay_base("BASE")
        return self.context.block_height

    def host_block_timestamp(self) -> int:
        self.gas.pay_base("BASE")
        return self.context.block_timestamp

    def host_epoch_height(self) -> int:
        self.gas.pay_base("BASE")
        return self.context.epoch_height

    def host_storage_usage(self) -> int:
        self.gas.pay_base("BASE")
        return self.storage_usage

    # ----------------------------------------------------------- economics

    def host_account_balance(self, balance_ptr: int) -> None:
        self.gas.pay_base("BASE")
        self.memory.set(balance_ptr, self.balance.to_bytes(16, "little"))

    def host_account_locked_balance(self, balance_ptr: int) -> None:
        self.gas.pay_base("BASE")
        self.memory.set(balance_ptr, self.context.account_locked_balance.to_bytes(16, "little"))

    def host_attached_deposit(self, balance_ptr: int) -> None:
        self.gas.pay_base("BASE")
        self.memory.set(balance_ptr, self.context.attached_deposit.to_bytes(16, "little"))

    def host_prepaid_gas(self) -> int:
        self.gas.pay_base("BASE")
        self._view_guard("prepaid_gas")
        return self.context.prepaid_gas

    def host_used_gas(self) -> int:
        self.gas.pay_base("BASE")
        self._view_guard("used_gas")
        return self.gas.used

    # ----------------------------------------------------------- math

    def host_random_seed(self, register_id: int) -> None:
        self.gas.pay_base("BASE")
        self.registers.set(register_id, self.context.random_seed)

    def _hash(self, base: str, per_byte: str, fn, value_len: int, value_ptr: int, register_id: int):
        self.gas.pay_base(base)
        value = self._memory_or_register(value_ptr, value_len)
        self.gas.pay_per(per_byte, len(value))
        self.registers.set(register_id, fn(value))

    def host_sha256(self, value_len: int, value_ptr: int, register_id: int) -> None:
        self._hash("SHA256_BASE", "SHA256_BYTE", crypto.sha256, value_len, value_ptr, register_id)

    def host_keccak256(self, value_len: int, value_ptr: int, register_id: int) -> None:
        self._hash(
            "KECCAK256_BASE", "KECCAK256_BYTE", crypto.keccak256, value_len, value_ptr, register_id
        )

    def host_keccak512(self, value_len: int, value_ptr: int, register_id: int) -> None:
        self._hash(
            "KECCAK512_BASE", "KECCAK512_BYTE", crypto.keccak512, value_len, value_ptr, register_id
        )

    def host_ripemd160(self, value_len: int, value_ptr: int, register_id: int) -> None:
        self.gas.pay_base("RIPEMD160_BASE")
        value = self._memory_or_register(value_ptr, value_len)
        self.gas.pay_per("RIPEMD160_BLOCK", (len(value) + 8) // 64 + 1)
        self.registers.set(register_id, crypto.ripemd160(value))

    def host_ecrecover(
        self,
        hash_len: int,
        hash_ptr: int,
        sig_len: int,
        sig_ptr: int,
        v: int,
        malleability_flag: int,
        register_id: int,
    ) -> int:
        self.gas.pay_base("ECRECOVER_BASE")
        signature = self._memory_or_register(sig_ptr, sig_len)
        if len(signature) != 64:
            raise errors.ecrecover_error(
                f"The length of the signature: {len(signature)}, exceeds the limit of 64 bytes"
            )
        if v >= 4:
            raise errors.ecrecover_error(
                f"V recovery byte 0 through 3 are valid but was provided {v}"
            )
        message_hash = self._memory_or_register(hash_ptr, hash_len)
        if len(message_hash) != 32:
            raise errors.ecrecover_error(
                f"The length of the hash: {len(message_hash)}, exceeds the limit of 32 bytes"
            )
        if malleability_flag not in (0, 1):
            raise errors.ecrecover_error(
                f"Malleability flag needs to be 0 or 1, but is instead {malleability_flag}"
            )
        if not crypto.secp256k1_signature_values_ok(signature, malleability_flag != 0):
            return 0
        public_key = crypto.secp256k1_recover(message_hash, signature, v)
        if public_key is None:
            return 0
        self.registers.set(register_id, public_key)
        return 1

    def host_ed25519_verify(
        self,
        sig_len: int,
        sig_ptr: int,
        msg_len: int,
        msg_ptr: int,
        pub_key_len: int,
        pub_key_ptr: int,
    ) -> int:
        self.gas.pay_base("ED25519_VERIFY_BASE")
        signature = self._memory_or_register(sig_ptr, sig_len)
        if len(signature) != 64:
            raise errors.ed25519_invalid_input("invalid signature length")
        # ed25519-dalek 1.x rejected these before looking at anything else;
        # nearcore keeps the early exit so that costs stay the same.
        if signature[63] & 0b1110_0000:
            return 0
        message = self._memory_or_register(msg_ptr, msg_len)
        self.gas.pay_per("ED25519_VERIFY_BYTE", len(message))
        public_key = self._memory_or_register(pub_key_ptr, pub_key_len)
        if len(public_key) != 32:
            raise errors.ed25519_invalid_input("invalid public key length")
        return 1 if crypto.ed25519_verify(signature, message, public_key) else 0

    # ----------------------------------------------------------- miscellaneous

    def host_value_return(self, value_len: int, value_ptr: int) -> None:
        self.gas.pay_base("BASE")
        value = self._memory_or_register(value_ptr, value_len)
        limit = self.limits.max_length_returned_data
        if len(value) > limit:
            raise errors.returned_value_length_exceeded(len(value), limit)
        fee = self._fee("NEW_DATA_RECEIPT_BYTE")
        burn = 0
        for receiver in self.context.output_data_receivers:
            sir = receiver == self.context.current_account_id
            burn += (fee.send(sir) + fee.execution) * len(value)
        self.gas.deduct(burn, burn, "NEW_DATA_RECEIPT_BYTE")
        self.return_data = ReturnValue(value)

    def host_panic(self) -> None:
        self.gas.pay_base("BASE")
        raise errors.guest_panic("explicit guest panic")

    def host_panic_utf8(self, length: int, ptr: int) -> None:
        self.gas.pay_base("BASE")
        raise errors.guest_panic(self._utf8_string(length, ptr))

    def host_log_utf8(self, length: int, ptr: int) -> None:
        self.gas.pay_base("BASE")
        self._check_can_add_log()
        message = self._utf8_string(length, ptr)
        self.gas.pay_base("LOG_BASE")
        self.gas.pay_per("LOG_BYTE", len(message.encode("utf-8")))
        self._push_log(message)

    def host_log_utf16(self, length: int, ptr: int) -> None:
        self.gas.pay_base("BASE")
        self._check_can_add_log()
        message = self._utf16_string(length, ptr)
        self.gas.pay_base("LOG_BASE")
        self.gas.pay_per("LOG_BYTE", len(message.encode("utf-8")))
        self._push_log(message)

    def host_abort(self, msg_ptr: int, filename_ptr: int, line: int, col: int) -> None:
        """AssemblyScript's abort: UTF-16 strings whose byte length sits just before them."""
        self.gas.pay_base("BASE")
        if msg_ptr < 4 or filename_ptr < 4:
            raise errors.bad_utf16()
        self._check_can_add_log()
        msg_len = self.memory.get_uint(msg_ptr - 4, 4)
        filename_len = self.memory.get_uint(filename_ptr - 4, 4)
        msg = self._utf16_string(msg_len, msg_ptr)
        filename = self._utf16_string(filename_len, filename_ptr)
        message = f'{msg}, filename: "{filename}" line: {line} col: {col}'
        self.gas.pay_base("LOG_BASE")
        self.gas.pay_per("LOG_BYTE", len(message.encode("utf-8")))
        self._push_log(f"ABORT: {message}")
        raise errors.guest_panic(message)

    def host_sandbox_debug_log(self, length: int, ptr: int) -> None:
        raw = self.memory.read_free(ptr, length)
        try:
            log.debug("sandbox_debug_log: %s", raw.decode("utf-8"))
        except UnicodeDecodeError:
            raise errors.bad_utf8() from None

    def host_gas(self, opcodes: int) -> None:
        self.gas.burn(opcodes * self.config.regular_op_cost)

    # ----------------------------------------------------------- promises

    def host_promise_create(
        self,
        account_id_len: int,
        account_id_ptr: int,
        method_name_len: int,
        method_name_ptr: int,
        arguments_len: int,
        arguments_ptr: int,
        amount_ptr: int,
        gas: int,
    ) -> int:
        index = self.host_promise_batch_create(account_id_len, account_id_ptr)
        self.host_promise_batch_action_function_call(
            index, method_name_len, method_name_ptr, arguments_len, arguments_ptr, amount_ptr, gas
        )
        return index

    def host_promise_then(
        self,
        promise_idx: int,
        account_id_len: int,
        account_id_ptr: int,
        method_name_len: int,
        method_name_ptr: int,
        arguments_len: int,
        arguments_ptr: int,
        amount_ptr: int,
        gas: int,
    ) -> int:
        index = self.host_promise_batch_then(promise_idx, account_id_len, account_id_ptr)
        self.host_promise_batch_action_function_call(
            index, method_name_len, method_name_ptr, arguments_len, arguments_ptr, amount_ptr, gas
        )
        return index

    def host_promise_and(self, promise_idx_ptr: int, promise_idx_count: int) -> int:
        self.gas.pay_base("BASE")
        self._view_guard("promise_and")
        self.gas.pay_base("PROMISE_AND_BASE")
        memory_len = promise_idx_count * 8
        if memory_len > U64_MAX:
            raise errors.integer_overflow()
        self.gas.pay_per("PROMISE_AND_PER_PROMISE", memory_len)
        raw = self.memory.view(promise_idx_ptr, memory_len)
        limit = self.limits.max_number_input_data_dependencies
        dependencies: list[int] = []
        for offset in range(0, len(raw), 8):
            promise = self._promise(int.from_bytes(raw[offset : offset + 8], "little"))
            dependencies.extend(promise if isinstance(promise, list) else [promise])
            if len(dependencies) > limit:
                raise errors.number_input_data_dependencies_exceeded(len(dependencies), limit)
        return self._push_promise(dependencies)

    def host_promise_batch_create(self, account_id_len: int, account_id_ptr: int) -> int:
        self.gas.pay_base("BASE")
        self._view_guard("promise_batch_create")
        account_id = self._account_id(account_id_ptr, account_id_len)
        self._pay_new_receipt(account_id == self.context.current_account_id, [])
        self.receipts.append(OutgoingReceipt(receiver_id=account_id))
        return self._push_promise(len(self.receipts) - 1)

    def host_promise_batch_then(
        self, promise_idx: int, account_id_len: int, account_id_ptr: int
    ) -> int:
        self.gas.pay_base("BASE")
        self._view_guard("promise_batch_then")
        account_id = self._account_id(account_id_ptr, account_id_len)
        promise = self._promise(promise_idx)
        dependencies = list(promise) if isinstance(promise, list) else [promise]
        self._pay_new_receipt(
            account_id == self.context.current_account_id,
            [self.receipts[dep].receiver_id == account_id for dep in dependencies],
        )
        self.receipts.append(OutgoingReceipt(receiver_id=account_id, depends_on=dependencies))
        return self._push_promise(len(self.receipts) - 1)

    def host_promise_batch_action_create_account(self, promise_idx: int) -> None:
        self.gas.pay_base("BASE")
        self._view_guard("promise_batch_action_create_account")
        receipt, sir = self._receipt_of(promise_idx)
        self._pay_action_base("CREATE_ACCOUNT", sir)
        self.receipts[receipt].actions.append(CreateAccount())

    def host_promise_batch_action_deploy_contract(
        self, promise_idx: int, code_len: int, code_ptr: int
    ) -> None:
        self.gas.pay_base("BASE")
        self._view_guard("promise_batch_action_deploy_contract")
        code = self._memory_or_register(code_ptr, code_len)
        limit = self.limits.max_contract_size
        if len(code) > limit:
            raise errors.contract_size_exceeded(len(code), limit)
        receipt, sir = self._receipt_of(promise_idx)
        self._pay_action_base("DEPLOY_CONTRACT_BASE", sir)
        self._pay_action_per_byte("DEPLOY_CONTRACT_BYTE", len(code), sir)
        self.receipts[receipt].actions.append(DeployContract(code))

    def host_promise_batch_action_function_call(
        self,
        promise_idx: int,
        method_name_len: int,
        method_name_ptr: int,
        arguments_len: int,
        arguments_ptr: int,
        amount_ptr: int,
        gas: int,
    ) -> None:
        self.host_promise_batch_action_function_call_weight(
            promise_idx,
            method_name_len,
            method_name_ptr,
            arguments_len,
            arguments_ptr,
            amount_ptr,
            gas,
            0,
        )

    def host_promise_batch_action_function_call_weight(
        self,
        promise_idx: int,
        method_name_len: int,
        method_name_ptr: int,
        arguments_len: int,
        arguments_ptr: int,
        amount_ptr: int,
        gas: int,
        gas_weight: int,
    ) -> None:
        self.gas.pay_base("BASE")
        # nearcore names the unweighted function in this error for both imports.
        self._view_guard("promise_batch_action_function_call")
        amount = self.memory.get_uint(amount_ptr, 16)
        method_name = self._memory_or_register(method_name_ptr, method_name_len)
        if not method_name:
            raise errors.empty_method_name()
        arguments = self._memory_or_register(arguments_ptr, arguments_len)
        receipt, sir = self._receipt_of(promise_idx)
        self._pay_action_base("FUNCTION_CALL_BASE", sir)
        self._pay_action_per_byte("FUNCTION_CALL_BYTE", len(method_name) + len(arguments), sir)
        self.gas.prepay(gas)
        self._deduct_balance(amount)
        try:
            method = method_name.decode("utf-8")
        except UnicodeDecodeError:
            raise errors.invalid_method_name() from None
        actions = self.receipts[receipt].actions
        actions.append(FunctionCall(method, arguments, gas, amount, gas_weight))
        if gas_weight > 0:
            self.gas_weights.append((receipt, len(actions) - 1, gas_weight))

    def distribute_unused_gas(self, unused_gas: int) -> bool:
        """Give weighted function calls the gas this call did not use; True if any got some."""
        weight_sum = sum(weight for _, _, weight in self.gas_weights)
        if weight_sum == 0:
            return False
        distributed = 0
        for receipt, action_index, weight in self.gas_weights:
            share = unused_gas * weight // weight_sum
            self._add_action_gas(receipt, action_index, share)
            distributed += share
        receipt, action_index, _ = self.gas_weights[-1]
        self._add_action_gas(receipt, action_index, unused_gas - distributed)
        return True

    def _add_action_gas(self, receipt: int, action_index: int, extra_gas: int) -> None:
        actions = self.receipts[receipt].actions
        action = actions[action_index]
        actions[action_index] = dataclasses.replace(action, gas=action.gas + extra_gas)

    def host_promise_batch_action_transfer(self, promise_idx: int, amount_ptr: int) -> None:
        self.gas.pay_base("BASE")
        self._view_guard("promise_batch_action_transfer")
        amount = self.memory.get_uint(amount_ptr, 16)
        receipt, sir = self._receipt_of(promise_idx)
        receiver = self.receipts[receipt].receiver_id
        send, execution = self._transfer_fees(receiver, sir)
        self.gas.deduct(send, send + execution, "TRANSFER")
        self._deduct_balance(amount)
        self.receipts[receipt].actions.append(Transfer(amount))

    def _transfer_fees(self, receiver: str, sir: bool) -> tuple[int, int]:
        """A transfer to an implicit account also pays for creating it."""
        names = ["TRANSFER"]
        if self.config.implicit_account_creation:
            if is_implicit_account_id(receiver):
                names += ["CREATE_ACCOUNT", "ADD_FULL_ACCESS_KEY"]
            elif self.config.eth_implicit_accounts and _is_eth_implicit(receiver):
                names += ["CREATE_ACCOUNT"]
        fees = [self._fee(name) for name in names]
        return sum(f.send(sir) for f in fees), sum(f.execution for f in fees)

    def host_promise_batch_action_stake(
        self, promise_idx: int, amount_ptr: int, public_key_len: int, public_key_ptr: int
    ) -> None:
        self.gas.pay_base("BASE")
        self._view_guard("promise_batch_action_stake")
        amount = self.memory.get_uint(amount_ptr, 16)
        public_key = self._public_key(public_key_ptr, public_key_len)
        receipt, sir = self._receipt_of(promise_idx)
        self._pay_action_base("STAKE", sir)
        self.receipts[receipt].actions.append(Stake(amount, self._decoded_key(public_key)))

    def host_promise_batch_action_add_key_with_full_access(
        self, promise_idx: int, public_key_len: int, public_key_ptr: int, nonce: int
    ) -> None:
        self.gas.pay_base("BASE")
        self._view_guard("promise_batch_action_add_key_with_full_access")
        public_key = self._public_key(public_key_ptr, public_key_len)
        receipt, sir = self._receipt_of(promise_idx)
        self._pay_action_base("ADD_FULL_ACCESS_KEY", sir)
        self.receipts[receipt].actions.append(
            AddKey(self._decoded_key(public_key), AccessKey(nonce, FullAccess()))
        )

    def host_promise_batch_action_add_key_with_function_call(
        self,
        promise_idx: int,
        public_key_len: int,
        public_key_ptr: int,
        nonce: int,
        allowance_ptr: int,
        receiver_id_len: int,
        receiver_id_ptr: int,
        method_names_len: int,
        method_names_ptr: int,
    ) -> None:
        self.gas.pay_base("BASE")
        self._view_guard("promise_batch_action_add_key_with_function_call")
        public_key = self._public_key(public_key_ptr, public_key_len)
        allowance = self.memory.get_uint(allowance_ptr, 16)
        receiver_id = self._account_id(receiver_id_ptr, receiver_id_len)
        raw_names = self._memory_or_register(method_names_ptr, method_names_len)
        method_names = _split_method_names(raw_names)
        receipt, sir = self._receipt_of(promise_idx)
        # One byte per name stands for the separator/terminator, as in nearcore.
        name_bytes = sum(len(name.encode("utf-8")) + 1 for name in method_names)
        self._pay_action_base("ADD_FUNCTION_CALL_KEY_BASE", sir)
        self._pay_action_per_byte("ADD_FUNCTION_CALL_KEY_BYTE", name_bytes, sir)
        permission = FunctionCallPermission(allowance or None, receiver_id, tuple(method_names))
        self.receipts[receipt].actions.append(
            AddKey(self._decoded_key(public_key), AccessKey(nonce, permission))
        )

    def host_promise_batch_action_delete_key(
        self, promise_idx: int, public_key_len: int, public_key_ptr: int
    ) -> None:
        self.gas.pay_base("BASE")
        self._view_guard("promise_batch_action_delete_key")
        public_key = self._public_key(public_key_ptr, public_key_len)
        receipt, sir = self._receipt_of(promise_idx)
        self._pay_action_base("DELETE_KEY", sir)
        self.receipts[receipt].actions.append(DeleteKey(self._decoded_key(public_key)))

    def host_promise_batch_action_delete_account(
        self, promise_idx: int, beneficiary_id_len: int, beneficiary_id_ptr: int
    ) -> None:
        self.gas.pay_base("BASE")
        self._view_guard("promise_batch_action_delete_account")
        beneficiary_id = self._account_id(beneficiary_id_ptr, beneficiary_id_len)
        receipt, sir = self._receipt_of(promise_idx)
        self._pay_action_base("DELETE_ACCOUNT", sir)
        self.receipts[receipt].actions.append(DeleteAccount(beneficiary_id))

    def host_promise_results_count(self) -> int:
        self.gas.pay_base("BASE")
        self._view_guard("promise_results_count")
        return len(self.context.promise_results)

    def host_promise_result(self, result_idx: int, register_id: int) -> int:
        self.gas.pay_base("BASE")
        self._view_guard("promise_result")
        if result_idx >= len(self.context.promise_results):
            raise errors.invalid_promise_result_index(result_idx)
        result = self.context.promise_results[result_idx]
        if not result.successful:
            return 2
        self.registers.set(register_id, result.data)
        return 1

    def host_promise_return(self, promise_idx: int) -> None:
        self.gas.pay_base("BASE")
        self.gas.pay_base("PROMISE_RETURN")
        self._view_guard("promise_return")
        promise = self._promise(promise_idx)
        if isinstance(promise, list):
            raise errors.cannot_return_joint_promise()
        self.return_data = ReturnPromise(promise)

    # ----------------------------------------------------------- storage

    def _storage_key(self, key_ptr: int, key_len: int) -> bytes:
        key = self._memory_or_register(key_ptr, key_len)
        limit = self.limits.max_length_storage_key
        if len(key) > limit:
            raise errors.key_length_exceeded(len(key), limit)
        return key

    def host_storage_write(
        self, key_len: int, key_ptr: int, value_len: int, value_ptr: int, register_id: int
    ) -> int:
        self.gas.pay_base("BASE")
        self._view_guard("storage_write")
        self.gas.pay_base("STORAGE_WRITE_BASE")
        key = self._storage_key(key_ptr, key_len)
        value = self._memory_or_register(value_ptr, value_len)
        limit = self.limits.max_length_storage_value
        if len(value) > limit:
            raise errors.value_length_exceeded(len(value), limit)
        self.gas.pay_per("STORAGE_WRITE_KEY_BYTE", len(key))
        self.gas.pay_per("STORAGE_WRITE_VALUE_BYTE", len(value))
        evicted = self._storage_get(key)
        if evicted is not None:
            self.gas.pay_per("STORAGE_WRITE_EVICTED_BYTE", len(evicted))
        self._charge_trie_walk(key)
        self.storage_writes[key] = value
        if evicted is None:
            self.storage_usage += len(key) + len(value) + self.config.num_extra_bytes_record
            return 0
        self.storage_usage += len(value) - len(evicted)
        self.registers.set(register_id, evicted)
        return 1

    def host_storage_read(self, key_len: int, key_ptr: int, register_id: int) -> int:
        self.gas.pay_base("BASE")
        self.gas.pay_base("STORAGE_READ_BASE")
        key = self._storage_key(key_ptr, key_len)
        self.gas.pay_per("STORAGE_READ_KEY_BYTE", len(key))
        value = self._storage_get(key)
        if value is None:
            return 0
        self.gas.pay_per("STORAGE_READ_VALUE_BYTE", len(value))
        if len(value) > INLINE_DISK_VALUE_THRESHOLD:
            self.gas.pay_base("STORAGE_LARGE_READ_OVERHEAD_BASE")
            self.gas.pay_per("STORAGE_LARGE_READ_OVERHEAD_BYTE", len(value))
        self.registers.set(register_id, value)
        return 1

    def host_storage_remove(self, key_len: int, key_ptr: int, register_id: int) -> int:
        self.gas.pay_base("BASE")
        self._view_guard("storage_remove")
        self.gas.pay_base("STORAGE_REMOVE_BASE")
        key = self._storage_key(key_ptr, key_len)
        self.gas.pay_per("STORAGE_REMOVE_KEY_BYTE", len(key))
        removed = self._storage_get(key)
        if removed is not None:
            self.gas.pay_per("STORAGE_REMOVE_RET_VALUE_BYTE", len(removed))
        self._charge_trie_walk(key)
        if removed is None:
            return 0
        self.storage_writes[key] = None
        self.storage_usage -= len(key) + len(removed) + self.config.num_extra_bytes_record
        self.registers.set(register_id, removed)
        return 1

    def host_storage_has_key(self, key_len: int, key_ptr: int) -> int:
        self.gas.pay_base("BASE")
        self.gas.pay_base("STORAGE_HAS_KEY_BASE")
        key = self._storage_key(key_ptr, key_len)
        self.gas.pay_per("STORAGE_HAS_KEY_BYTE", len(key))
        return 0 if self._storage_get(key) is None else 1

    def host_storage_iter_prefix(self, prefix_len: int, prefix_ptr: int) -> int:
        raise errors.deprecated("storage_iter_prefix")

    def host_storage_iter_range(
        self, start_len: int, start_ptr: int, end_len: int, end_ptr: int
    ) -> int:
        raise errors.deprecated("storage_iter_range")

    def host_storage_iter_next(
        self, iterator_id: int, key_register_id: int, value_register_id: int
    ) -> int:
        raise errors.deprecated("storage_iter_next")


def _is_eth_implicit(account_id: str) -> bool:
    return (
        len(account_id) == 42
        and account_id.startswith("0x")
        and all(c in "0123456789abcdef" for c in account_id[2:])
    )


def _split_method_names(raw: bytes) -> list[str]:
    if not raw:
        return []
    names = []
    for part in raw.split(b","):
        if not part:
            raise errors.empty_method_name()
        try:
            names.append(part.decode("utf-8"))
        except UnicodeDecodeError:
            raise errors.bad_utf8() from None
    return names
