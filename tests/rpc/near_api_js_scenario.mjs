// An ordinary near-api-js 7 script against the node: create an account, deploy, call, view,
// getState, access keys, and the typed errors near-api-js derives from the node's answers.
// Run by tests/rpc/test_rpc_near_api_js.py with NEAR_API_JS (the installed package's entry),
// RPC_URL, ROOT_ACCOUNT, ROOT_SECRET_KEY and WASM_PATH; prints one JSON object with what it saw.
import { readFileSync } from "node:fs";
import { createRequire } from "node:module";

const require = createRequire(import.meta.url);
const near = require(process.env.NEAR_API_JS);
const { Account, JsonRpcProvider, KeyPair } = near;

const provider = new JsonRpcProvider({ url: process.env.RPC_URL });
const root = new Account(process.env.ROOT_ACCOUNT, provider, process.env.ROOT_SECRET_KEY);
const seen = {};

const prefix = `najs${Date.now() % 1_000_000_000}`;
const accountId = `${prefix}.${process.env.ROOT_ACCOUNT}`;
const key = KeyPair.fromRandom("ed25519");
const created = await root.createSubAccount({
  accountOrPrefix: prefix, publicKey: key.getPublicKey(), nearToTransfer: near.nearToYocto(5),
});
seen.created = created.final_execution_status;

const account = new Account(accountId, provider, key.toString());
const fresh = await account.getState();
seen.fresh = { total: fresh.balance.total.toString(), usedOnStorage: fresh.balance.usedOnStorage.toString(),
               storageUsage: fresh.storageUsage, codeHash: fresh.codeHash };

const deployed = await account.deployContract(new Uint8Array(readFileSync(process.env.WASM_PATH)));
seen.deployed = "SuccessValue" in deployed.status;

seen.called = await account.callFunction({ contractId: accountId, methodName: "set_greeting", args: { text: "hi" },
                                           waitUntil: "FINAL" });
seen.viewed = await provider.callFunction({ contractId: accountId, method: "get_greeting", args: {},
                                            blockQuery: { finality: "final" } });
const state = await account.getState();
seen.state = { storageUsage: state.storageUsage, codeHash: state.codeHash,
               usedOnStorage: state.balance.usedOnStorage.toString() };

const limited = KeyPair.fromRandom("ed25519");
await account.addFunctionCallAccessKey({ publicKey: limited.getPublicKey(), contractId: accountId,
                                         methodNames: ["set_greeting"], allowance: near.nearToYocto(1) });
const keys = await provider.viewAccessKeyList({ accountId, blockQuery: { finality: "optimistic" } });
seen.keys = keys.keys.map((k) => (k.access_key.permission === "FullAccess" ? "FullAccess" : "FunctionCall")).sort();
const limitedView = await account.getAccessKey(limited.getPublicKey());
seen.limitedNonce = typeof limitedView.nonce;
await account.deleteKey(limited.getPublicKey());

async function errorName(call) {
  try {
    await call();
    return "no error";
  } catch (err) {
    return err.constructor.name;
  }
}
seen.errors = {
  unknownAccount: await errorName(() => provider.viewAccount({ accountId: `nobody.${process.env.ROOT_ACCOUNT}` })),
  unknownKey: await errorName(() => account.getAccessKey(limited.getPublicKey())),
  noCode: await errorName(() => provider.callFunction({ contractId: process.env.ROOT_ACCOUNT, method: "x", args: {} })),
  panickingView: await errorName(() => provider.callFunction({ contractId: accountId, method: "fail", args: {} })),
  failingCall: await errorName(() => account.callFunction({ contractId: accountId, methodName: "fail", args: {} })),
  unknownBlock: await errorName(() => provider.viewBlock({ blockId: 10 ** 12 })),
};
console.log(JSON.stringify(seen));
