# No frozen modules (no mpy-cross build), and none of the optional unix
# modules that need sources nearc does not ship (berkeley-db, mbedtls) or
# system libraries (libffi).
FROZEN_MANIFEST =
MICROPY_PY_BTREE = 0
MICROPY_PY_SSL = 0
MICROPY_PY_FFI = 0

# 16-bit mpz digits as on wasm32 (x86-64 defaults to 32). Passed on the
# command line so every translation unit agrees on the digit size. nearc's
# NLR patch leaves `return` statements in NORETURN functions: not an error.
CFLAGS_EXTRA += -DMPZ_DIG_SIZE=16 -Wno-error
