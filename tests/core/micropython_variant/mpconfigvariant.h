// Unix build of nearc's MicroPython tree configured like its NEAR Wasm port
// (ports/webassembly-near/mpconfigport.h), so the guard core can be tested
// under the interpreter it will run in, natively and in seconds.

#define MICROPY_CONFIG_ROM_LEVEL (MICROPY_CONFIG_ROM_LEVEL_EXTRA_FEATURES)

// nearc's tree is patched for Wasm's non-unwinding NLR: the VM no longer
// longjmps on a raise, it checks a pending-exception slot after each
// bytecode. Native x64 NLR is incompatible with that VM (the stock unix build
// crashes on the first exception), so the Wasm scheme is used here too. It
// also means this binary reproduces the on-chain exception behaviour: a C
// built-in that raises keeps running, and a second error can replace the first.
#define MICROPY_NLR_WASM (1)

// As on the Wasm port.
#define MICROPY_LONGINT_IMPL (MICROPY_LONGINT_IMPL_MPZ)
#define MICROPY_FLOAT_IMPL (MICROPY_FLOAT_IMPL_DOUBLE)
#define MICROPY_ENABLE_PYSTACK (1)
#define MICROPY_STACK_CHECK (0)

// The unix main.c needs mp_verbose_flag, which comes with the debug printers.
#define MICROPY_DEBUG_PRINTERS (1)
