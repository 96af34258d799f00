"""Run one contract method the way nearcore does: prepare, load, link, call, meter.

Wasm instructions are metered with wasmtime fuel (one unit per instruction,
NEAR's `regular_op_cost` each).  The instance always holds exactly as much
fuel as the gas left allows; every host call first converts the fuel spent
since the last host call into burnt gas, then tops the fuel back up, so the
wasm and host charges share one budget as in nearcore.

Order of checks and charges (protocol 78):
  empty method name -> MethodEmptyName, nothing burnt
  preparation/compilation failure -> CompilationError, nothing burnt
  contract loading fee (base + per code byte)
  unknown or mistyped import -> LinkError (loading fee burnt)
  missing export / not `() -> ()` -> MethodResolveError, nothing burnt
  start function (if any), then the method, on a fresh instance
  after success: unused gas to weighted function calls, then the new
  receipts are validated (NewReceiptValidationError)
"""
from __future__ import annotations

import ctypes
import hashlib
import os
import tempfile
import threading
from collections import OrderedDict
from dataclasses import dataclass, field
from pathlib import Path
from typing import Optional

import wasmtime
from wasmtime import _bindings as wasmtime_bindings
from wasmtime import _ffi as wasmtime_ffi

from . import errors
from .api import StorageReader, VMContext, VMError, VMOutcome
from .config import DEFAULT_CONFIG, RuntimeConfig
from .gas import WASM_INSTRUCTION, GasCounter
from .imports import NEAR_IMPORTS, UNIMPLEMENTED_IMPORTS
from .logic import VMLogic
from .prepare import MEMORY_EXPORT, RESERVED_EXPORTS, START_EXPORT, PrepareError, prepare_contract
from .receipts import validate_receipts

_MASK = {"i32": (1 << 32) - 1, "i64": (1 << 64) - 1}
_SIGN_BIT = {"i32": 1 << 31, "i64": 1 << 63}
_COMPILED_CACHE_SIZE = 32
# Smaller modules compile in milliseconds; only big ones are worth keeping on disk.
_DISK_CACHE_MIN_BYTES = 64 * 1024

_TRAP_KINDS = {
    wasmtime.TrapCode.UNREACHABLE: "Unreachable",
    wasmtime.TrapCode.MEMORY_OUT_OF_BOUNDS: "MemoryOutOfBounds",
    wasmtime.TrapCode.TABLE_OUT_OF_BOUNDS: "MemoryOutOfBounds",
    wasmtime.TrapCode.INDIRECT_CALL_TO_NULL: "IndirectCallToNull",
    wasmtime.TrapCode.BAD_SIGNATURE: "IncorrectCallIndirectSignature",
    wasmtime.TrapCode.INTEGER_OVERFLOW: "IllegalArithmetic",
    wasmtime.TrapCode.INTEGER_DIVISION_BY_ZERO: "IllegalArithmetic",
    wasmtime.TrapCode.BAD_CONVERSION_TO_INTEGER: "IllegalArithmetic",
    wasmtime.TrapCode.STACK_OVERFLOW: "StackOverflow",
    wasmtime.TrapCode.HEAP_MISALIGNED: "MisalignedAtomicAccess",
}


def _to_signed(value: int, wasm_type: str) -> int:
    value &= _MASK[wasm_type]
    return value - (1 << (32 if wasm_type == "i32" else 64)) if value & _SIGN_BIT[wasm_type] else value


# ---------------------------------------------------------------- errors


def _execution_error(host_error: errors.HostError) -> VMError:
    return VMError(
        "ExecutionError",
        host_error.display,
        debug_message=f"HostError({host_error.debug})",
    )


def _trap_error(kind: str) -> VMError:
    return VMError(
        "ExecutionError",
        f"WebAssembly trap: {errors.WASM_TRAP_DISPLAY[kind]}",
        debug_message=f"WasmTrap({kind})",
    )


def _method_resolve_error(variant: str) -> VMError:
    return VMError(
        "MethodResolveError",
        f"MethodResolveError({variant})",
        debug_message=f"MethodResolveError({variant})",
        data={"MethodResolveError": variant},
    )


def _compilation_error(error: PrepareError) -> VMError:
    return VMError(
        "CompilationError",
        f"PrepareError: {error.display}",
        debug_message=f"CompilationError(PrepareError({error.variant}))",
        data={"CompilationError": {"PrepareError": error.variant}},
    )


def _wasmtime_compile_error(message: str) -> VMError:
    return VMError(
        "CompilationError",
        f"Wasmtime compilation error: {message}",
        debug_message=f"CompilationError(WasmtimeCompileError {{ msg: {errors.rust_debug_str(message)} }})",
        data={"CompilationError": {"WasmtimeCompileError": {"msg": message}}},
    )


def _link_error(message: str) -> VMError:
    return VMError(
        "LinkError",
        message,
        debug_message=f"LinkError {{ msg: {errors.rust_debug_str(message)} }}",
        data={"LinkError": {"msg": message}},
    )


# ---------------------------------------------------------------- engine


def _make_engine() -> wasmtime.Engine:
    """An engine accepting exactly the Wasm features NEAR's protocol 78 accepts."""
    config = wasmtime.Config()
    config.consume_fuel = True
    # The C API turns the async component model on by default, and it insists
    # on reference types; these switches have no Python property of their own.
    for setter in (
        "wasmtime_config_wasm_component_model_async_set",
        "wasmtime_config_wasm_component_model_async_stackful_set",
        "wasmtime_config_wasm_component_model_more_async_builtins_set",
        "wasmtime_config_concurrency_support_set",
    ):
        getattr(wasmtime_bindings, setter)(config.ptr(), False)
    for feature in (
        "wasm_threads",
        "wasm_reference_types",
        "wasm_simd",
        "wasm_relaxed_simd",
        "wasm_bulk_memory",
        "wasm_multi_value",
        "wasm_multi_memory",
        "wasm_memory64",
        "wasm_tail_call",
        "wasm_gc",
        "wasm_function_references",
        "wasm_exceptions",
        "wasm_wide_arithmetic",
        "wasm_custom_page_sizes",
        "wasm_stack_switching",
        "wasm_component_model",
    ):
        setattr(config, feature, False)
    # Sign-extension and non-trapping float-to-int stay on: protocol 78 has both.
    config.cranelift_nan_canonicalization = True
    config.cranelift_opt_level = "speed"
    return wasmtime.Engine(config)


@dataclass
class _Compiled:
    """A prepared, compiled and linked contract, or the reason it is not one."""

    instance_pre: Optional[wasmtime.InstancePre] = None
    methods: dict[str, bool] = field(default_factory=dict)  # export name -> signature is () -> ()
    has_start: bool = False
    compile_error: Optional[VMError] = None
    link_error: Optional[VMError] = None


class _Engine:
    def __init__(self, config: RuntimeConfig):
        self.config = config
        self.engine = _make_engine()
        self.linker = wasmtime.Linker(self.engine)
        for name, (params, results) in NEAR_IMPORTS.items():
            func_type = wasmtime.FuncType(
                [getattr(wasmtime.ValType, p)() for p in params],
                [getattr(wasmtime.ValType, r)() for r in results],
            )
            host = _host_trampoline(name, params, results)
            self.linker.define_func("env", name, func_type, host, access_caller=True)
        self.cache: OrderedDict[bytes, _Compiled] = OrderedDict()
        self.lock = threading.Lock()
        self.disk_cache = _disk_cache_dir()

    def compiled(self, code: bytes) -> _Compiled:
        key = hashlib.sha256(code).digest()
        with self.lock:
            hit = self.cache.get(key)
            if hit is not None:
                self.cache.move_to_end(key)
                return hit
        compiled = self._compile(code)
        with self.lock:
            self.cache[key] = compiled
            while len(self.cache) > _COMPILED_CACHE_SIZE:
                self.cache.popitem(last=False)
        return compiled

    def _compile(self, code: bytes) -> _Compiled:
        limits = self.config.limits
        try:
            # NEAR validates the contract as submitted, before any rewriting.
            wasmtime.Module.validate(self.engine, code)
        except wasmtime.WasmtimeError as exc:
            invalid = PrepareError("Deserialization", str(exc))
            return _Compiled(compile_error=_compilation_error(invalid))
        try:
            prepared = prepare_contract(code, limits)
        except PrepareError as exc:
            return _Compiled(compile_error=_compilation_error(exc))
        try:
            module = self._load_module(prepared.code)
        except wasmtime.WasmtimeError as exc:
            return _Compiled(compile_error=_wasmtime_compile_error(str(exc)))

        link_error = self._check_imports(module)
        if link_error is not None:
            return _Compiled(link_error=link_error)
        try:
            instance_pre = self.linker.instantiate_pre(module)
        except wasmtime.WasmtimeError as exc:
            return _Compiled(link_error=_link_error(str(exc)))
        methods = {}
        for export in module.exports:
            if export.name in RESERVED_EXPORTS or not isinstance(export.type, wasmtime.FuncType):
                continue
            methods[export.name] = not export.type.params and not export.type.results
        return _Compiled(instance_pre=instance_pre, methods=methods, has_start=prepared.has_start)

    def _check_imports(self, module: wasmtime.Module) -> Optional[VMError]:
        for imported in module.imports:
            expected = NEAR_IMPORTS.get(imported.name)
            if expected is None:
                return _link_error(f'Error while importing "env"."{imported.name}": unknown import.')
            params = tuple(str(p) for p in imported.type.params)
            results = tuple(str(r) for r in imported.type.results)
            if (params, results) != expected:
                return _link_error(
                    f'Error while importing "env"."{imported.name}": incompatible import type. '
                    f"Expected {_signature(expected)}, found {_signature((params, results))}"
                )
        return None

    def _load_module(self, prepared_code: bytes) -> wasmtime.Module:
        """Compile, or load an artifact an earlier process compiled for the same code."""
        if self.disk_cache is None or len(prepared_code) < _DISK_CACHE_MIN_BYTES:
            return wasmtime.Module(self.engine, prepared_code)
        # Keyed by the prepared code; wasmtime itself refuses artifacts built
        # by another version or with other engine settings.
        path = self.disk_cache / f"{hashlib.sha256(prepared_code).hexdigest()}.cwasm"
        if path.exists():
            try:
                return wasmtime.Module.deserialize(self.engine, path.read_bytes())
            except wasmtime.WasmtimeError:
                path.unlink(missing_ok=True)
        module = wasmtime.Module(self.engine, prepared_code)
        try:
            self.disk_cache.mkdir(parents=True, exist_ok=True)
            with tempfile.NamedTemporaryFile(dir=self.disk_cache, delete=False) as tmp:
                tmp.write(module.serialize())
            os.replace(tmp.name, path)
        except OSError:
            pass
        return module


def _signature(signature) -> str:
    params, results = signature
    return f"({', '.join(params)}) -> ({', '.join(results)})"


def _disk_cache_dir() -> Optional[Path]:
    """Where compiled artifacts persist across processes; LOCALNET_ENGINE_CACHE=off disables it."""
    setting = os.environ.get("LOCALNET_ENGINE_CACHE", "")
    if setting.lower() in ("off", "0", "no", "false"):
        return None
    if setting:
        return Path(setting)
    base = os.environ.get("XDG_CACHE_HOME") or os.path.join(os.path.expanduser("~"), ".cache")
    return Path(base) / "localnet" / "engine" / f"wasmtime-{_wasmtime_version()}"


def _wasmtime_version() -> str:
    try:
        from importlib.metadata import version

        return version("wasmtime")
    except Exception:
        return "unknown"


_ENGINES: dict[int, _Engine] = {}
_ENGINES_LOCK = threading.Lock()


def _engine_for(config: RuntimeConfig) -> _Engine:
    with _ENGINES_LOCK:
        engine = _ENGINES.get(id(config))
        if engine is None or engine.config is not config:
            engine = _ENGINES[id(config)] = _Engine(config)
        return engine


# ---------------------------------------------------------------- one call

_active = threading.local()


def _host_trampoline(name: str, params: tuple[str, ...], results: tuple[str, ...]):
    method = None if name in UNIMPLEMENTED_IMPORTS else getattr(VMLogic, f"host_{name}")
    masks = [_MASK[p] for p in params]
    result_type = results[0] if results else None

    def host(caller, *args):
        return _active.call.call_host(caller, name, method, args, masks, result_type)

    return host


def _context_fuel(storelike) -> int:
    remaining = ctypes.c_uint64(0)
    error = wasmtime_ffi.wasmtime_context_get_fuel(storelike._context(), ctypes.byref(remaining))
    if error:
        raise wasmtime.WasmtimeError._from_ptr(error)
    return remaining.value


def _set_context_fuel(storelike, fuel: int) -> None:
    error = wasmtime_ffi.wasmtime_context_set_fuel(storelike._context(), fuel)
    if error:
        raise wasmtime.WasmtimeError._from_ptr(error)


class _Call:
    def __init__(self, logic: VMLogic, store: wasmtime.Store, op_cost: int):
        self.logic = logic
        self.gas = logic.gas
        self.store = store
        self.op_cost = op_cost
        self.fuel_granted = 0
        self.host_error: Optional[errors.HostError] = None

    def grant_fuel(self, storelike) -> None:
        self.fuel_granted = self.gas.remaining // self.op_cost
        _set_context_fuel(storelike, self.fuel_granted)

    def charge_fuel(self, storelike) -> None:
        spent = self.fuel_granted - _context_fuel(storelike)
        self.fuel_granted -= spent
        self.gas.burn(spent * self.op_cost, WASM_INSTRUCTION)

    def charge_exhausted_fuel(self) -> None:
        """Fuel ran out: charge one instruction more than the gas left, as the failing charge nearcore makes."""
        self.gas.burn((self.fuel_granted + 1) * self.op_cost, WASM_INSTRUCTION)

    def call_host(self, caller, name, method, raw_args, masks, result_type):
        memory = self.logic.memory
        memory.store = caller
        try:
            self.charge_fuel(caller)
            if method is None:
                raise errors.unimplemented(name)
            args = [value & mask for value, mask in zip(raw_args, masks)]
            result = method(self.logic, *args)
            self.grant_fuel(caller)
        except errors.HostError as exc:
            self.host_error = exc
            raise
        finally:
            memory.store = self.store
        return None if result_type is None else _to_signed(result, result_type)


def _failed(context: VMContext, gas: GasCounter, error: VMError, logs=None) -> VMOutcome:
    # A failed call keeps nothing but the gas it burnt; prepaid gas it reserved
    # for receipts goes back to the signer, so used equals burnt here.
    return VMOutcome(
        logs=list(logs or []),
        burnt_gas=gas.burnt,
        used_gas=gas.burnt,
        storage_usage=context.storage_usage,
        balance=context.account_balance,
        error=error,
        gas_profile=dict(gas.profile),
    )


def run(
    code: bytes,
    method_name: str,
    context: VMContext,
    storage: StorageReader,
    *,
    config: RuntimeConfig | None = None,
) -> VMOutcome:
    """Run `method_name` of `code` as NEAR would and report what happened."""
    config = config or DEFAULT_CONFIG
    gas = GasCounter(config, context.prepaid_gas, context.view)
    if not method_name:
        return _failed(context, gas, _method_resolve_error("MethodEmptyName"))

    engine = _engine_for(config)
    compiled = engine.compiled(bytes(code))
    if compiled.compile_error is not None:
        return _failed(context, gas, compiled.compile_error)

    try:
        gas.pay_per("CONTRACT_LOADING_BYTES", len(code))
        gas.pay_base("CONTRACT_LOADING_BASE")
    except errors.HostError:
        return _failed(context, gas, _execution_error(errors.gas_exceeded()))
    if compiled.link_error is not None:
        return _failed(context, gas, compiled.link_error)

    signature_ok = compiled.methods.get(method_name)
    if signature_ok is None:
        return _nop_failure(context, gas, config, _method_resolve_error("MethodNotFound"))
    if not signature_ok:
        return _nop_failure(context, gas, config, _method_resolve_error("MethodInvalidSignature"))

    logic = VMLogic(context, storage, config, gas)
    store = wasmtime.Store(engine.engine)
    limits = config.limits
    store.set_limits(
        memory_size=limits.max_memory_pages * 65536,
        table_elements=limits.max_elements_per_contract_table,
        instances=1,
        tables=limits.max_tables_per_contract,
        memories=1,
    )
    call = _Call(logic, store, config.regular_op_cost)
    logic.memory.store = store
    previous_call = getattr(_active, "call", None)
    _active.call = call
    try:
        error = _execute(compiled, call, store, method_name)
    finally:
        _active.call = previous_call
    if error is not None:
        return _failed(context, gas, error, logic.logs)
    return _succeeded(context, gas, logic, config)


def _nop_failure(context, gas, config, error) -> VMOutcome:
    """Before the loading-cost fix, a method that cannot be resolved costs nothing."""
    if not config.fix_contract_loading_cost:
        gas = GasCounter(config, context.prepaid_gas, context.view)
    return _failed(context, gas, error)


def _execute(compiled: _Compiled, call: _Call, store: wasmtime.Store, method_name: str) -> Optional[VMError]:
    call.grant_fuel(store)
    try:
        instance = compiled.instance_pre.instantiate(store)
    except wasmtime.Trap as trap:
        return _after_trap(call, store, trap)
    except wasmtime.WasmtimeError as exc:
        return _link_error(str(exc))
    exports = instance.exports(store)
    call.logic.memory.wasm_memory = exports[MEMORY_EXPORT]
    try:
        if compiled.has_start:
            exports[START_EXPORT](store)
        exports[method_name](store)
    except errors.HostError as exc:
        return _execution_error(exc)
    except wasmtime.Trap as trap:
        return _after_trap(call, store, trap)
    try:
        call.charge_fuel(store)
    except errors.HostError as exc:
        return _execution_error(exc)
    return None


def _after_trap(call: _Call, store: wasmtime.Store, trap: wasmtime.Trap) -> VMError:
    if call.host_error is not None:
        return _execution_error(call.host_error)
    try:
        if trap.trap_code == wasmtime.TrapCode.OUT_OF_FUEL:
            call.charge_exhausted_fuel()
        call.charge_fuel(store)
    except errors.HostError as exc:
        return _execution_error(exc)
    return _trap_error(_TRAP_KINDS.get(trap.trap_code, "GenericTrap"))


def _succeeded(context: VMContext, gas: GasCounter, logic: VMLogic, config: RuntimeConfig) -> VMOutcome:
    used_gas = gas.used
    if not context.view and logic.distribute_unused_gas(context.prepaid_gas - used_gas):
        used_gas = context.prepaid_gas
    invalid = validate_receipts(logic.receipts, config.limits)
    if invalid is not None:
        return _failed(context, gas, invalid, logic.logs)
    return VMOutcome(
        return_data=logic.return_data,
        logs=list(logic.logs),
        burnt_gas=gas.burnt,
        used_gas=used_gas,
        storage_writes=dict(logic.storage_writes),
        storage_usage=logic.storage_usage,
        balance=logic.balance,
        receipts=list(logic.receipts),
        error=None,
        gas_profile=dict(gas.profile),
    )
