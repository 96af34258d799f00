"""Benchmark of the compiled guard: Wasm size, storage lock and gas per scenario.

    .venv/bin/python -m bench            # build (cached), measure, print, write bench/results.json
    .venv/bin/python -m bench --no-write # print only

Runs the real build/guard.wasm on the in-process localnet (deterministic: the
same sources give the same figures). Scenarios live in bench/scenarios.py,
shared with tests/guard/test_gas_budgets.py.
"""
from __future__ import annotations

import argparse
import hashlib
import json
import sys
from pathlib import Path

import base58

from bench.scenarios import (
    KB,
    SCENARIOS,
    TGAS,
    WASM_TARGET_KB,
    Bench,
    run_scenarios,
    storage_lock_yocto,
)
from nearwasm.source_metadata import commit_of
from devkit.guard_chain import GUARD, NEAR_YOCTO, REPO, build_guard

RESULTS = Path(__file__).resolve().parent / "results.json"


def _near(yocto: int) -> float:
    return yocto / NEAR_YOCTO


def collect(wasm_path: Path) -> dict:
    wasm = wasm_path.read_bytes()
    measured = run_scenarios(wasm)
    deployed = Bench(wasm).env
    account = deployed.chain.view_account(GUARD)
    # What the measured Wasm says it was built from (NEP-330), so the figures
    # name a build anyone can reproduce: check out that commit and build.
    snapshot = deployed.view("contract_source_metadata")["build_info"]["source_code_snapshot"]
    rows = []
    for scenario in SCENARIOS:
        gas = measured[scenario.name]
        target = scenario.target_tgas(measured)
        rows.append({
            "name": scenario.name,
            "title": scenario.title,
            "gas_burnt": gas,
            "tgas": round(gas / TGAS, 3),
            "target_tgas": None if target is None else round(target, 3),
            "target_text": scenario.target_text or (None if target is None else f"<= {target:g}"),
            "relative_target": callable(scenario.target),
            "meets_target": None if target is None else gas / TGAS <= target,
        })
    size = len(wasm)
    code_lock = storage_lock_yocto(size)
    account_lock = storage_lock_yocto(int(account["storage_usage"]))
    return {
        "wasm": {
            "path": str(wasm_path.relative_to(REPO)) if wasm_path.is_relative_to(REPO) else str(wasm_path),
            "sha256": hashlib.sha256(wasm).hexdigest(),
            "code_hash": base58.b58encode(hashlib.sha256(wasm).digest()).decode(),
            "commit": commit_of(snapshot),  # None: built from uncommitted changes, not reproducible
            "source_code_snapshot": snapshot,
            "bytes": size,
            "kb": round(size / KB, 1),
            "target_kb": WASM_TARGET_KB,
            "meets_target": size / KB <= WASM_TARGET_KB,
        },
        "storage": {
            "yocto_per_byte": str(code_lock // size),
            "code_lock_yocto": str(code_lock),
            "code_lock_near": round(_near(code_lock), 5),
            "account_storage_usage_after_init_1_key": int(account["storage_usage"]),
            "account_lock_near_after_init_1_key": round(_near(account_lock), 5),
        },
        "gas": rows,
        "method": "gas_burnt of the receipt executing the method (contract loading, Wasm instructions, "
                  "host calls, function call execution fee), in-process localnet, NEAR protocol 78 costs; "
                  "views measured as transactions",
    }


def format_table(results: dict) -> str:
    lines = []
    header = f"{'scenario':<58} {'Tgas':>9}  {'target (Tgas)':>22}  {'status':<6}"
    lines += [header, "-" * len(header)]
    for row in results["gas"]:
        status = "" if row["meets_target"] is None else ("ok" if row["meets_target"] else "over")
        target = row["target_text"] or "-"
        if row["relative_target"]:
            target = f"{row['target_text']} = {row['target_tgas']:.2f}"
        lines.append(f"{row['title']:<58} {row['tgas']:>9.3f}  {target:>22}  {status:<6}")
    wasm, storage = results["wasm"], results["storage"]
    lines.append("-" * len(header))
    size_text = f"{wasm['bytes']:,} B = {wasm['kb']} KB"
    lines.append(f"{'wasm size':<40} {size_text:>27}  {'<= %d KB' % wasm['target_kb']:>22}  "
                 f"{'ok' if wasm['meets_target'] else 'over':<6}")
    lines.append(f"{'code hash':<40} {wasm['code_hash']}, built from {wasm['source_code_snapshot']}")
    lines.append(f"{'NEAR locked for the code (10^19 yocto/byte)':<48} {storage['code_lock_near']:>13.5f} NEAR")
    lines.append(f"{'NEAR locked by the account after init (1 key)':<48} "
                 f"{storage['account_lock_near_after_init_1_key']:>13.5f} NEAR")
    lines.append("Tgas = gas_burnt of the receipt executing the method (views called as transactions); "
                 "targets are issue #6's, held by tests/guard/test_gas_budgets.py")
    return "\n".join(lines)


def main(argv=None) -> int:
    parser = argparse.ArgumentParser(prog="python -m bench", description=__doc__.splitlines()[0])
    parser.add_argument("--wasm", type=Path, help="measure this Wasm instead of building contract/ (cached)")
    parser.add_argument("--no-write", action="store_true", help=f"do not write {RESULTS.relative_to(REPO)}")
    args = parser.parse_args(argv)
    wasm_path = args.wasm or build_guard()
    results = collect(wasm_path)
    print(format_table(results))
    if results["wasm"]["commit"] is None:
        print(f"\nnote: the measured Wasm was built from uncommitted changes ({results['wasm']['source_code_snapshot']}); "
              "commit the contract first so the results name a build others can reproduce")
    if not args.no_write:
        RESULTS.write_text(json.dumps(results, indent=2) + "\n")
        print(f"\nwrote {RESULTS.relative_to(REPO)}")
    return 0


if __name__ == "__main__":
    sys.exit(main())
