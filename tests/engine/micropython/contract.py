"""A small near-sdk-py contract the engine tests run as real MicroPython Wasm."""
import near
from near_sdk_py import Contract, call, view


class Greeter(Contract):
    @view
    def get_greeting(self):
        return self.storage.get("greeting", "hello")

    @call
    def set_greeting(self, greeting):
        self.storage["greeting"] = greeting
        return greeting


@near.export
def ping():
    near.value_return(b"pong")


@near.export
def whoami():
    near.log_utf8("called at " + str(near.block_timestamp()))
    near.value_return(near.predecessor_account_id())


@near.export
def digest():
    near.value_return(near.sha256(near.input()))


@near.export
def boom():
    near.panic_utf8("boom")
