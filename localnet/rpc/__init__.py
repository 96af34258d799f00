"""The node's RPC layer: NEAR's JSON-RPC over HTTP.

Transactions arrive as Borsh; the codec is `localnet.borsh`, shared with the chain.

- `errors`: NEAR's error envelope (`RpcError`);
- `methods`: the JSON-RPC methods over a `Chain`, without HTTP;
- `server`: `RpcServer`, the HTTP front (`localnet run` uses it).
"""
