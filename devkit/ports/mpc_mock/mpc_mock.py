"""MOCK of NEAR's MPC signer contract (`v1.signer` and friends), for the FastAuth port's tests.

THIS IS NOT AN MPC AND ITS "SIGNATURES" SIGN NOTHING. The real contract hands
the request to an off-chain MPC network and answers later (yield/resume); an
embedded node has no such network, so this stand-in answers at once with a
value shaped like the real response, derived deterministically from the
request (sha256 of a label, the path and the payload), so tests can tell that
the right path and payload reached it.

    sign(request) -> response                   needs >= 1 yoctoNEAR attached, as the real one
        request: {"payload": [32 bytes], "path", "key_version"}             (legacy, secp256k1)
              or {"path", "payload_v2": {"Ecdsa"|"Eddsa": hex}, "domain_id"} (v2)
        response: {"scheme": "Secp256k1", "big_r": {"affine_point": hex}, "s": {"scalar": hex}, "recovery_id": 0}
               or {"scheme": "Ed25519", "signature": [64 bytes]}
    It logs "mock-mpc sign <request JSON>" for tests to inspect.
"""

import binascii
import json

import near


def _fail(message):
    near.panic_utf8(message)


def _digest(label, path, payload):
    return near.sha256(label.encode() + b"|" + path.encode() + b"|" + payload.encode())


@near.export
def sign():
    raw = near.input()
    if len(raw) < 2 or raw[0] != 0x7B:
        _fail("Failed to deserialize input from JSON.")
    try:
        args = json.loads(raw)
    except Exception:
        args = None
    request = args.get("request") if type(args) is dict else None
    if type(request) is not dict or type(request.get("path")) is not str:
        _fail("Failed to deserialize input from JSON.")
    if near.attached_deposit() < 1:
        _fail("Attached deposit is lower than required")
    near.log_utf8("mock-mpc sign " + json.dumps(request))

    path = request["path"]
    payload_v2 = request.get("payload_v2")
    if type(payload_v2) is dict and type(payload_v2.get("Eddsa")) is str:
        payload = payload_v2["Eddsa"]
        signature = _digest("mock-eddsa-r", path, payload) + _digest("mock-eddsa-s", path, payload)
        near.value_return(json.dumps({"scheme": "Ed25519", "signature": list(signature)}))
        return
    if type(payload_v2) is dict and type(payload_v2.get("Ecdsa")) is str:
        payload = payload_v2["Ecdsa"]
    elif type(request.get("payload")) is list:
        payload = binascii.hexlify(bytes(request["payload"])).decode()
    else:
        _fail("Failed to deserialize input from JSON.")
    response = {
        "scheme": "Secp256k1",
        "big_r": {"affine_point": "02" + binascii.hexlify(_digest("mock-ecdsa-r", path, payload)).decode().upper()},
        "s": {"scalar": binascii.hexlify(_digest("mock-ecdsa-s", path, payload)).decode().upper()},
        "recovery_id": 0,
    }
    near.value_return(json.dumps(response))
