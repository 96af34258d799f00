"""The node's RPC layer: NEAR's JSON-RPC over HTTP and the Borsh codec of its transactions.

- `borsh`: decode/encode `SignedTransaction`, actions, access keys, delegate actions;
- `errors`: NEAR's error envelope (`RpcError`);
- `methods`: the JSON-RPC methods over a `Chain`, without HTTP;
- `server`: `RpcServer`, the HTTP front (`localnet run` uses it).
"""
