"""guardctl's commands: each module owns its commands' parsers (`add_parsers`) and handlers.

They share helpers from the package above (inputs, reports, owner, accounts, router, wasm,
policy_files), never each other's. COMMAND_MODULES is the order of `guardctl --help`."""
from . import admin, dev, fastauth, lifecycle, policy, tx, verify_code

COMMAND_MODULES = (lifecycle, admin, dev, fastauth, tx, policy, verify_code)
