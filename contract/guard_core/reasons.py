"""The short, stable reason strings the guard returns; clients match on them.

`verify` returns `[false, reason]` with exactly one of these strings (or a
reason of the integrator's custom_rules.py). They are part of the public
interface: change one only together with the README and every client that
matches on it. The JWT pipeline's (guard_core.verifier):

| reason                   | when                                                                  |
|--------------------------|-----------------------------------------------------------------------|
| `Guard is paused`        | the owner paused the guard                                            |
| `Token too large`        | the token is longer than 7168 bytes                                   |
| `Malformed token`        | not a string, not ASCII, not three base64url segments (no padding,    |
|                          | canonical encoding), or an undecodable payload segment               |
| `Invalid header`         | header is not a UTF-8 JSON object (of at most 32 strings, nested at   |
|                          | most 4 deep), `alg` missing or not a string, `kid` not a string, or a |
|                          | `crit` parameter is present                                           |
| `Unsupported algorithm`  | `alg` is anything but `RS256` or `EdDSA` (`none`, `HS256`, ...)       |
| `Key id required`        | the token names no stored `kid` while the valid RS256 keys would cost |
|                          | more than three 2048-bit RSA checks (keys.MAX_UNPINNED_RS256_WORK)    |
| `No valid key`           | no stored key of the header's algorithm is valid now (or the key      |
|                          | named by `kid` has another algorithm or is outside its window)       |
| `Invalid signature`      | the signature does not verify with any candidate key                  |
| `Invalid payload`        | payload is not a UTF-8 JSON object (of at most 128 strings, nested at |
|                          | most 16 deep) with string `sub` and `iss`,                            |
|                          | integer `exp` and optional integer `nbf` (0 <= value < 2**63)         |
| `Invalid sign_payload`   | `sign_payload` is not a list of integers 0-255                        |
| `fatxn mismatch`         | `fatxn` missing, not a list of integers 0-255, or not equal to        |
|                          | `sign_payload` byte for byte                                          |
| `Audience mismatch`      | an audience is configured and `aud` (a string, or a list whose string |
|                          | members are compared; other members are skipped) does not contain it  |
| `Custom claims rejected` | the shell's extra claims hook failed without giving a reason          |
| `Token expired`          | `exp` <= block time in seconds                                        |
| `Token not yet valid`    | `nbf` > block time in seconds                                         |
| `Issuer mismatch`        | `iss` differs from the expected issuer, or is not in the allow-list   |
| `Invalid subject`        | `sub` empty, longer than 256 bytes, containing `#`, or not UTF-8      |
| `Verification error`     | internal safety net: an unexpected error while verifying              |

The shell's own (guard.py), about the call's arguments: `Invalid arguments`
(not a JSON object within the bounds, or no issuer / guard_id or
sign_payload) and `Arguments too large` (over 32 KB, answered before
parsing). Claim mode's (guard_core/claim_mode.py) and the transaction policy's
(guard_core/policy_eval.py) are below, each beside its constant.

Key-set validation (for `init`, `set_public_keys`, `add_public_key`) has its
own messages, prefixed so that an owner sees which rule a key broke.
"""

PAUSED = "Guard is paused"
TOKEN_TOO_LARGE = "Token too large"
MALFORMED_TOKEN = "Malformed token"
INVALID_HEADER = "Invalid header"
UNSUPPORTED_ALGORITHM = "Unsupported algorithm"
NO_VALID_KEY = "No valid key"
KEY_ID_REQUIRED = "Key id required"
INVALID_SIGNATURE = "Invalid signature"
INVALID_PAYLOAD = "Invalid payload"
INVALID_SIGN_PAYLOAD = "Invalid sign_payload"
FATXN_MISMATCH = "fatxn mismatch"
AUDIENCE_MISMATCH = "Audience mismatch"
CUSTOM_CLAIMS_REJECTED = "Custom claims rejected"
TOKEN_EXPIRED = "Token expired"
TOKEN_NOT_YET_VALID = "Token not yet valid"
ISSUER_MISMATCH = "Issuer mismatch"
INVALID_SUBJECT = "Invalid subject"
VERIFICATION_ERROR = "Verification error"

# The shell's answers about the call's arguments.
INVALID_ARGUMENTS = "Invalid arguments"
ARGUMENTS_TOO_LARGE = "Arguments too large"

# Claim mode (claim_mode.py): the predecessor has no claim / claimed another token.
NO_CLAIM = "Claim mode: no claim for predecessor"
NOT_CLAIMED = "Claim mode: token not claimed by predecessor"

# Transaction policy (policy_eval.py), in the order the rules are checked.
POLICY_UNDECODABLE = "Policy: sign_payload does not decode"
POLICY_SIGNER_MISMATCH = "Policy: signer does not match the token"
POLICY_RECEIVER_NOT_ALLOWED = "Policy: receiver not allowed"
POLICY_ACTION_NOT_ALLOWED = "Policy: action not allowed"
POLICY_METHOD_NOT_ALLOWED = "Policy: method not allowed"
POLICY_GAS_TOO_HIGH = "Policy: gas per call too high"
POLICY_DEPOSIT_PER_ACTION_TOO_HIGH = "Policy: deposit per action too high"
POLICY_DEPOSIT_TOTAL_TOO_HIGH = "Policy: total deposit too high"

# The JWT pipeline's reasons (guard_core.verifier).
JWT_REASONS = (
    PAUSED,
    TOKEN_TOO_LARGE,
    MALFORMED_TOKEN,
    INVALID_HEADER,
    UNSUPPORTED_ALGORITHM,
    NO_VALID_KEY,
    KEY_ID_REQUIRED,
    INVALID_SIGNATURE,
    INVALID_PAYLOAD,
    INVALID_SIGN_PAYLOAD,
    FATXN_MISMATCH,
    AUDIENCE_MISMATCH,
    CUSTOM_CLAIMS_REJECTED,
    TOKEN_EXPIRED,
    TOKEN_NOT_YET_VALID,
    ISSUER_MISMATCH,
    INVALID_SUBJECT,
    VERIFICATION_ERROR,
)
ARGUMENT_REASONS = (INVALID_ARGUMENTS, ARGUMENTS_TOO_LARGE)
CLAIM_MODE_REASONS = (NO_CLAIM, NOT_CLAIMED)
POLICY_REASONS = (
    POLICY_UNDECODABLE,
    POLICY_SIGNER_MISMATCH,
    POLICY_RECEIVER_NOT_ALLOWED,
    POLICY_ACTION_NOT_ALLOWED,
    POLICY_METHOD_NOT_ALLOWED,
    POLICY_GAS_TOO_HIGH,
    POLICY_DEPOSIT_PER_ACTION_TOO_HIGH,
    POLICY_DEPOSIT_TOTAL_TOO_HIGH,
)
# Every reason `verify` itself can give.
VERIFY_REASONS = JWT_REASONS + ARGUMENT_REASONS + CLAIM_MODE_REASONS + POLICY_REASONS

# Key-set validation messages.
KEYS_NOT_A_LIST = "Invalid keys: expected a list of keys"
KEYS_EMPTY = "Invalid keys: at least one key is required"
KEYS_TOO_MANY = "Invalid keys: at most 16 keys"
KEYS_DUPLICATE_KID = "Invalid keys: duplicate kid"
KEY_NOT_AN_OBJECT = "Invalid key: expected an object"
KEY_UNKNOWN_FIELD = "Invalid key: unknown field"
KEY_UNSUPPORTED_ALG = "Invalid key: alg must be RS256 or EdDSA"
KEY_BAD_MODULUS_SIZE = "Invalid key: n must be 256, 384 or 512 bytes"
KEY_EVEN_MODULUS = "Invalid key: n must be odd"
KEY_MODULUS_LEADING_ZERO = "Invalid key: n must not start with a zero byte"
KEY_BAD_EXPONENT = "Invalid key: e must be [1, 0, 1]"
KEY_BAD_ED25519 = "Invalid key: x must be 32 bytes"
KEY_UNSAFE_ED25519 = "Invalid key: x must be the canonical encoding of an Ed25519 point of large order"
KEY_BAD_KID = "Invalid key: kid must be a string of 1 to 128 characters"
KEY_BAD_WINDOW_TYPE = "Invalid key: not_before and not_after must be integers in [0, 2**63)"
KEY_EMPTY_WINDOW = "Invalid key: not_before must be earlier than not_after"
# Key changes that would leave the guard without a valid key (keys.validity_gap).
KEYS_LEAVE_NO_VALID_KEY = "Refusing the key change: no key would be valid"

# gas-mark: import guard_core.reasons
