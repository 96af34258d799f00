"""Rewrite a contract's Wasm the way nearcore prepares it before compiling.

nearcore validates the module, throws its memory declaration away and gives
every instance a fresh memory of 1024 pages (64 MiB) that may grow to 2048,
keeps the start function (it runs on every call, metered like any other code)
and charges each function call for its stack frame.  This module reproduces
that by editing the binary directly:

* the memory section is replaced by one memory with NEAR's limits, exported
  under a reserved name so host functions can reach it (a module-defined
  memory with these limits is indistinguishable, from inside the contract,
  from the imported one NEAR provides, and it lets the engine link host
  functions once and reuse the pre-linked module);
* the start section becomes a reserved export, so the engine runs it after
  instantiation with the gas meter already in place;
* instruction gas is counted with wasmtime fuel, which prices operations a
  little differently from nearcore's finite-wasm instrumentation; fuel-only
  `(i32.const 0) (drop)` pairs are inserted to close the gap:
  - at each function entry, the frame charge nearcore makes,
    ((64 + bytes of params and locals + 7) / 8) regular operations, minus the
    one unit wasmtime already charges for entering a function;
  - before `nop`, `drop`, `return` and `unreachable`, which are free in
    wasmtime and cost one operation in nearcore;
  - right after `loop`, which nearcore charges on every iteration;
* custom sections are dropped (protocol 78 discards them).

The runner first validates the module as submitted with NEAR's Wasm
features; whatever else NEAR's preparation rejects is rejected here with its
PrepareError.
"""
from __future__ import annotations

from dataclasses import dataclass

MEMORY_EXPORT = "\u0000near_engine_memory"
START_EXPORT = "\u0000near_engine_start"
RESERVED_EXPORTS = frozenset({MEMORY_EXPORT, START_EXPORT})

WASM_MAGIC = b"\x00asm"
WASM_VERSION = b"\x01\x00\x00\x00"

SECTION_CUSTOM, SECTION_TYPE, SECTION_IMPORT, SECTION_FUNCTION = 0, 1, 2, 3
SECTION_TABLE, SECTION_MEMORY, SECTION_GLOBAL, SECTION_EXPORT = 4, 5, 6, 7
SECTION_START, SECTION_ELEMENT, SECTION_CODE, SECTION_DATA = 8, 9, 10, 11
SECTION_DATA_COUNT = 12
# The binary format's required order (data count sits between element and code).
CANONICAL_ORDER = (1, 2, 3, 4, 5, 6, 7, 8, 9, 12, 10, 11)

VALUE_TYPE_SIZES = {0x7F: 4, 0x7E: 8, 0x7D: 4, 0x7C: 8, 0x7B: 16, 0x70: 8, 0x6F: 8}
FRAME_BASE_BYTES = 64
# One unit of fuel without side effects: `i32.const 0` costs 1, `drop` costs 0.
FUEL_UNIT = b"\x41\x00\x1a"
# Wasmtime charges this much fuel for entering any function.
WASMTIME_ENTRY_FUEL = 1

# What follows each opcode in the code section (only what NEAR's features allow).
_NONE, _LEB, _TWO_LEB, _BLOCK, _BR_TABLE, _BYTES4, _BYTES8, _PREFIX_FC = range(8)
_IMMEDIATES = [None] * 256
for _op in (0x00, 0x01, 0x05, 0x0B, 0x0F, 0x1A, 0x1B, *range(0x45, 0xC5)):
    _IMMEDIATES[_op] = _NONE
for _op in (0x0C, 0x0D, 0x10, 0x20, 0x21, 0x22, 0x23, 0x24, 0x3F, 0x40, 0x41, 0x42):
    _IMMEDIATES[_op] = _LEB
for _op in (0x11, *range(0x28, 0x3F)):
    _IMMEDIATES[_op] = _TWO_LEB
for _op in (0x02, 0x03, 0x04):
    _IMMEDIATES[_op] = _BLOCK
_IMMEDIATES[0x0E] = _BR_TABLE
_IMMEDIATES[0x43] = _BYTES4
_IMMEDIATES[0x44] = _BYTES8
_IMMEDIATES[0xFC] = _PREFIX_FC
_CHARGED_BEFORE = frozenset({0x00, 0x01, 0x0F, 0x1A})  # unreachable, nop, return, drop
_LOOP = 0x03
_BLOCK_TYPE_BYTES = frozenset({0x40, 0x7F, 0x7E, 0x7D, 0x7C, 0x7B, 0x70, 0x6F})


class PrepareError(Exception):
    """nearcore's PrepareError variant name and its Display text."""

    DISPLAY = {
        "Deserialization": "Error happened while deserializing the module.",
        "Instantiate": "Error happened during instantiation.",
        "Memory": "Error creating memory.",
        "TooManyFunctions": "Too many functions in contract.",
        "TooManyLocals": "Too many locals declared in the contract.",
    }

    def __init__(self, variant: str, detail: str = ""):
        super().__init__(f"{variant}: {detail}" if detail else variant)
        self.variant = variant
        self.detail = detail

    @property
    def display(self) -> str:
        return self.DISPLAY[self.variant]


@dataclass
class Import:
    module: str
    name: str
    kind: int
    type_index: int | None = None


@dataclass
class PreparedModule:
    code: bytes
    has_start: bool = False


class _Reader:
    def __init__(self, data: bytes, pos: int = 0, end: int | None = None):
        self.data = data
        self.pos = pos
        self.end = len(data) if end is None else end

    def at_end(self) -> bool:
        return self.pos >= self.end

    def byte(self) -> int:
        if self.pos >= self.end:
            raise PrepareError("Deserialization", "unexpected end of module")
        value = self.data[self.pos]
        self.pos += 1
        return value

    def uleb(self, max_bits: int = 32) -> int:
        result = shift = 0
        while True:
            b = self.byte()
            result |= (b & 0x7F) << shift
            shift += 7
            if not b & 0x80:
                break
            if shift >= max_bits + 7:
                raise PrepareError("Deserialization", "integer representation too long")
        if result >> max_bits:
            raise PrepareError("Deserialization", "integer too large")
        return result

    def bytes(self, n: int) -> bytes:
        if self.pos + n > self.end:
            raise PrepareError("Deserialization", "unexpected end of module")
        chunk = self.data[self.pos : self.pos + n]
        self.pos += n
        return chunk

    def name(self) -> str:
        raw = self.bytes(self.uleb())
        try:
            return raw.decode("utf-8")
        except UnicodeDecodeError:
            raise PrepareError("Deserialization", "name is not UTF-8") from None


def uleb_encode(value: int) -> bytes:
    out = bytearray()
    while True:
        b = value & 0x7F
        value >>= 7
        if value:
            out.append(b | 0x80)
        else:
            out.append(b)
            return bytes(out)


def _encode_name(name: str) -> bytes:
    raw = name.encode("utf-8")
    return uleb_encode(len(raw)) + raw


def _section(section_id: int, payload: bytes) -> bytes:
    return bytes([section_id]) + uleb_encode(len(payload)) + payload


def _split_sections(code: bytes) -> list[tuple[int, bytes]]:
    if code[:4] != WASM_MAGIC or code[4:8] != WASM_VERSION:
        raise PrepareError("Deserialization", "not a Wasm 1.0 module")
    reader = _Reader(code, 8)
    sections = []
    while not reader.at_end():
        section_id = reader.byte()
        size = reader.uleb()
        sections.append((section_id, reader.bytes(size)))
    return sections


def _parse_types(payload: bytes) -> list[tuple[bytes, bytes]]:
    reader = _Reader(payload)
    types = []
    for _ in range(reader.uleb()):
        if reader.byte() != 0x60:
            raise PrepareError("Deserialization", "unsupported type form")
        params = reader.bytes(reader.uleb())
        results = reader.bytes(reader.uleb())
        types.append((params, results))
    return types


def _parse_imports(payload: bytes) -> list[Import]:
    reader = _Reader(payload)
    imports = []
    for _ in range(reader.uleb()):
        module = reader.name()
        name = reader.name()
        kind = reader.byte()
        if kind == 0x00:
            imports.append(Import(module, name, kind, reader.uleb()))
            continue
        imports.append(Import(module, name, kind))
        if kind == 0x01:  # table: reftype + limits
            reader.byte()
            _skip_limits(reader)
        elif kind == 0x02:
            _skip_limits(reader)
        elif kind == 0x03:  # global: valtype + mutability
            reader.byte()
            reader.byte()
        else:
            reader.uleb()  # tag: attribute + type index follow; rejected below anyway
    return imports


def _skip_limits(reader: _Reader) -> tuple[int, int | None, int]:
    flags = reader.byte()
    minimum = reader.uleb(64)
    maximum = reader.uleb(64) if flags & 0x01 else None
    return minimum, maximum, flags


def _check_memory_section(payload: bytes) -> None:
    reader = _Reader(payload)
    count = reader.uleb()
    if count > 1:
        raise PrepareError("Deserialization", "multiple memories")
    for _ in range(count):
        minimum, maximum, flags = _skip_limits(reader)
        if flags not in (0, 1):
            raise PrepareError("Deserialization", "shared or 64-bit memory")
        if minimum > 65536 or (maximum is not None and (maximum > 65536 or maximum < minimum)):
            raise PrepareError("Deserialization", "invalid memory limits")


def _skip_leb(data: bytes, pos: int) -> int:
    while data[pos] & 0x80:
        pos += 1
    return pos + 1


def _instrument_instructions(data: bytes, pos: int, end: int) -> bytes:
    """Copy one function's instructions, adding fuel where nearcore charges more than wasmtime."""
    chunks = []
    copied_from = pos
    try:
        while pos < end:
            op = data[pos]
            kind = _IMMEDIATES[op]
            if op in _CHARGED_BEFORE:
                chunks.append(data[copied_from:pos])
                chunks.append(FUEL_UNIT)
                copied_from = pos
                pos += 1
            elif kind == _NONE:
                pos += 1
            elif kind == _LEB:
                pos = _skip_leb(data, pos + 1)
            elif kind == _TWO_LEB:
                pos = _skip_leb(data, _skip_leb(data, pos + 1))
            elif kind == _BLOCK:
                pos = pos + 2 if data[pos + 1] in _BLOCK_TYPE_BYTES else _skip_leb(data, pos + 1)
                if op == _LOOP:
                    chunks.append(data[copied_from:pos])
                    chunks.append(FUEL_UNIT)
                    copied_from = pos
            elif kind == _BR_TABLE:
                reader = _Reader(data, pos + 1, end)
                targets = reader.uleb()
                pos = reader.pos
                for _ in range(targets + 1):
                    pos = _skip_leb(data, pos)
            elif kind == _BYTES4:
                pos += 5
            elif kind == _BYTES8:
                pos += 9
            elif kind == _PREFIX_FC:
                reader = _Reader(data, pos + 1, end)
                if reader.uleb() > 7:  # only the saturating conversions are allowed
                    raise PrepareError("Deserialization", "bulk memory instruction")
                pos = reader.pos
            else:
                raise PrepareError("Deserialization", f"unsupported opcode 0x{op:02x}")
    except IndexError:
        raise PrepareError("Deserialization", "truncated instruction") from None
    if pos != end:
        raise PrepareError("Deserialization", "instruction runs past the function body")
    chunks.append(data[copied_from:end])
    return b"".join(chunks)


def _instrument_code(code_payload: bytes, function_types: list[int], types, local_budget: int):
    """Re-encode the code section with fuel for nearcore's frame and per-operation charges."""
    reader = _Reader(code_payload)
    count = reader.uleb()
    if count != len(function_types):
        raise PrepareError("Deserialization", "function and code section counts differ")
    bodies = []
    for type_index in function_types:
        body_size = reader.uleb()
        body_start = reader.pos
        body_end = body_start + body_size
        if body_end > len(code_payload):
            raise PrepareError("Deserialization", "function body out of bounds")
        body = _Reader(code_payload, body_start, body_end)
        frame_bytes = FRAME_BASE_BYTES
        params, _ = types[type_index]
        for value_type in params:
            frame_bytes += VALUE_TYPE_SIZES.get(value_type, 8)
        for _ in range(body.uleb()):
            local_count = body.uleb()
            local_type = body.byte()
            local_budget -= local_count
            if local_budget < 0:
                raise PrepareError("TooManyLocals")
            frame_bytes += local_count * VALUE_TYPE_SIZES.get(local_type, 8)
        frame_fuel = (frame_bytes + 7) // 8 - WASMTIME_ENTRY_FUEL
        charged = (
            code_payload[body_start : body.pos]
            + FUEL_UNIT * frame_fuel
            + _instrument_instructions(code_payload, body.pos, body_end)
        )
        bodies.append(uleb_encode(len(charged)) + charged)
        reader.pos = body_end
    return uleb_encode(count) + b"".join(bodies)


def prepare_contract(code: bytes, limits) -> PreparedModule:
    """Return NEAR's view of `code`, or raise PrepareError as nearcore would."""
    sections = _split_sections(code)
    by_id: dict[int, bytes] = {}
    for section_id, payload in sections:
        if section_id == SECTION_CUSTOM:
            continue
        if section_id not in CANONICAL_ORDER:
            raise PrepareError("Deserialization", f"unknown section {section_id}")
        if section_id in by_id:
            raise PrepareError("Deserialization", f"duplicate section {section_id}")
        by_id[section_id] = payload

    types = _parse_types(by_id[SECTION_TYPE]) if SECTION_TYPE in by_id else []
    imports = _parse_imports(by_id[SECTION_IMPORT]) if SECTION_IMPORT in by_id else []
    for imp in imports:
        if imp.module != "env":
            raise PrepareError("Instantiate", f"import from module {imp.module!r}")
        if imp.kind == 0x02:
            raise PrepareError("Memory", "memory imports are not allowed")
        if imp.kind in (0x01, 0x03):
            raise PrepareError("Instantiate", f"import of a table or global {imp.name!r}")
        if imp.kind != 0x00:
            raise PrepareError("Deserialization", f"unsupported import kind {imp.kind}")
        if imp.type_index is None or imp.type_index >= len(types):
            raise PrepareError("Deserialization", "import type index out of range")

    function_types: list[int] = []
    if SECTION_FUNCTION in by_id:
        reader = _Reader(by_id[SECTION_FUNCTION])
        function_types = [reader.uleb() for _ in range(reader.uleb())]
        if any(t >= len(types) for t in function_types):
            raise PrepareError("Deserialization", "function type index out of range")
    if len(imports) + len(function_types) > limits.max_functions_number_per_contract:
        raise PrepareError("TooManyFunctions")

    if SECTION_MEMORY in by_id:
        _check_memory_section(by_id[SECTION_MEMORY])
    by_id[SECTION_MEMORY] = (
        b"\x01\x01" + uleb_encode(limits.initial_memory_pages) + uleb_encode(limits.max_memory_pages)
    )

    if SECTION_CODE in by_id or function_types:
        by_id[SECTION_CODE] = _instrument_code(
            by_id.get(SECTION_CODE, b"\x00"), function_types, types, limits.max_locals_per_contract
        )

    extra_exports = [_encode_name(MEMORY_EXPORT) + b"\x02\x00"]
    has_start = SECTION_START in by_id
    if has_start:
        start_index = _Reader(by_id.pop(SECTION_START)).uleb()
        extra_exports.append(_encode_name(START_EXPORT) + b"\x00" + uleb_encode(start_index))
    export_count, export_entries = 0, b""
    if SECTION_EXPORT in by_id:
        reader = _Reader(by_id[SECTION_EXPORT])
        export_count = reader.uleb()
        export_entries = by_id[SECTION_EXPORT][reader.pos :]
    by_id[SECTION_EXPORT] = (
        uleb_encode(export_count + len(extra_exports)) + export_entries + b"".join(extra_exports)
    )

    out = [WASM_MAGIC, WASM_VERSION]
    out.extend(_section(sid, by_id[sid]) for sid in CANONICAL_ORDER if sid in by_id)
    return PreparedModule(code=b"".join(out), has_start=has_start)
