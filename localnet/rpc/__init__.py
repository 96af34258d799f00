"""The node's RPC layer: NEAR's JSON-RPC over HTTP.

Transactions arrive as Borsh; the codec is `localnet.borsh`, shared with the chain.

- `errors`: NEAR's error envelope (`RpcError`);
- `methods`: the JSON-RPC methods over a `Chain`, without HTTP: parse the request, answer;
- `views`: what nearcore's view client answers (status, blocks, chunks, validators,
  configs, gas price, receipts, state changes, light-client views), read from the chain;
- `protocol`: the protocol, genesis and client configs as nearcore's RPC shows them;
- `server`: `RpcServer`, the HTTP front (`localnet run` uses it).
"""
