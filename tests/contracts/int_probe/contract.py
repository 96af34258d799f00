"""Integer probe: every integer operation the guard uses, on operands sent by a test.

tests/toolchain/test_int_differential.py sends batches of cases and compares each
answer with CPython's. Input and output are plain text (one case per line,
hex operands), not JSON: JSON numbers are capped at 64 characters.

    pow A B M      -> hex(pow(A, B, M))
    mul A B        -> hex(A * B)
    add A B / sub A B
    divmod A B     -> hex(A // B) hex(A % B)
    cmp A B        -> results of <, <=, ==, !=, >, >= as 0/1
    fb HEXBYTES    -> hex(int.from_bytes(b, "big")) hex(int.from_bytes(b, "little"))
    tb A SIZE      -> hexlify(A.to_bytes(SIZE, "big")) hexlify(A.to_bytes(SIZE, "little"))
    dec A          -> str(A), and 1 if int(str(A)) == A and int(hex(A), 16) == A
    shr A N        -> hex(A >> N) hex(A << N) hex(A & 0xffffffff)
    rsa S N        -> hexlify(near.rsa_public_pow(S, N)) or "none" (S, N hex bytes):
                      runtime patch 14, RS256's exponentiation
    b64 HEXBYTES   -> hexlify(binascii.a2b_base64(b)) or "error", then
                      hexlify(binascii.b2a_base64(b, newline=False)) (patch 17's tables)
"""
import binascii

import near


def _int(text):
    return int(text, 16)


def _case(fields):
    op = fields[0]
    if op == "pow":
        return hex(pow(_int(fields[1]), _int(fields[2]), _int(fields[3])))
    if op == "mul":
        return hex(_int(fields[1]) * _int(fields[2]))
    if op == "add":
        return hex(_int(fields[1]) + _int(fields[2]))
    if op == "sub":
        return hex(_int(fields[1]) - _int(fields[2]))
    if op == "divmod":
        a, b = _int(fields[1]), _int(fields[2])
        q, r = divmod(a, b)
        return hex(q) + " " + hex(r) + " " + hex(a // b) + " " + hex(a % b)
    if op == "cmp":
        a, b = _int(fields[1]), _int(fields[2])
        flags = (a < b, a <= b, a == b, a != b, a > b, a >= b)
        return "".join("1" if flag else "0" for flag in flags)
    if op == "fb":
        data = binascii.unhexlify(fields[1])
        return hex(int.from_bytes(data, "big")) + " " + hex(int.from_bytes(data, "little"))
    if op == "tb":
        a, size = _int(fields[1]), int(fields[2])
        return (binascii.hexlify(a.to_bytes(size, "big")).decode() + " "
                + binascii.hexlify(a.to_bytes(size, "little")).decode())
    if op == "dec":
        a = _int(fields[1])
        text = str(a)
        same = int(text) == a and int(hex(a), 16) == a
        return text + " " + ("1" if same else "0")
    if op == "rsa":
        result = near.rsa_public_pow(binascii.unhexlify(fields[1]), binascii.unhexlify(fields[2]))
        return "none" if result is None else binascii.hexlify(result).decode()
    if op == "shr":
        a, n = _int(fields[1]), int(fields[2])
        return hex(a >> n) + " " + hex(a << n) + " " + hex(a & 0xFFFFFFFF)
    if op == "b64":
        data = binascii.unhexlify(fields[1])
        try:
            decoded = binascii.hexlify(binascii.a2b_base64(data)).decode()
        except ValueError:
            decoded = "error"
        return decoded + " " + binascii.hexlify(binascii.b2a_base64(data, newline=False)).decode()
    return "?"


@near.export
def run():
    lines = near.input().decode().split("\n")
    near.value_return("\n".join(_case(line.split(" ")) for line in lines if line))


@near.export
def host_values():
    """The host's u64 clock and u128 deposit, through what the guard does with them.

    Input: decimal texts of probe values P, one per line; for each the answer
    line compares the host values with it.
    """
    timestamp = near.block_timestamp()
    deposit = near.attached_deposit()
    out = [
        str(timestamp), hex(timestamp), str(timestamp // 1000000000), str(timestamp % 1000000000),
        str(deposit), hex(deposit), str(deposit - 1), str(deposit * 2), str(deposit // 10**19),
        "1" if deposit >= 1 else "0", "1" if deposit == 1 else "0",
        str(near.block_height()), str(near.account_balance()),
    ]
    for line in near.input().decode().split("\n"):
        if line:
            value = int(line)
            seconds = timestamp // 1000000000
            flags = (timestamp < value, timestamp == value, timestamp > value,
                     seconds < value, seconds == value, seconds >= value,
                     deposit < value, deposit == value, deposit > value)
            out.append("".join("1" if flag else "0" for flag in flags))
    near.value_return("\n".join(out))
