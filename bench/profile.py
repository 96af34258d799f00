"""Where a call's gas goes: each bench row split into the steps of the call.

    .venv/bin/python -m bench.profile            # build the profiling guard (cached), print, write
    .venv/bin/python -m bench.profile --no-write # print only
    .venv/bin/python -m bench.profile --all      # every bench row, not only the README's

The guard's sources carry comment lines `# gas-mark: <step>` (after each step
of `verify` and the views, and at the end of every module the guard imports)
and `# gas-mark-report` (once the reply is written). They are comments, so the
real guard never pays for them. The profiling build is the same contract with
each of those lines turned into a call that records `near.used_gas()` (the
gas the call has used so far, contract loading included) and, at the report
line, logs the records; nothing else differs. A step's figure is the gas used
since the mark before it, less what one mark costs (a calibration mark right
after the first measures it). Contract loading and NEAR's function-call fees
are computed from the node's fee schedule; what the marks and the report cost
is a row of its own, so each column adds up to the profiled call's gas_burnt,
and the last row gives the real guard's gas for the same call.
"""
from __future__ import annotations

import argparse
import json
import re
import shutil
import sys
from pathlib import Path

from bench.scenarios import SCENARIOS, TGAS, Bench
from devkit.guard_chain import ALICE, GUARD_DIR, REPO, build_guard, encode_args
from localnet.chain.errors import ContractError
from localnet.engine.config import ACTION_FEES_V78, EXT_COSTS_V78
from nearwasm.build import build_contract

RESULTS = Path(__file__).resolve().parent / "results.json"
PROFILE_DIR = REPO / ".cache" / "profile"
LOG_PREFIX = "GAS_MARKS "
FEES_STEP = "function-call fees (receipt, action, argument bytes)"
LOADING_STEP = "contract loading (per byte of Wasm)"
CALIBRATION_STEP = "(one gas mark)"
REPORT_STEP = "(profiler: building the report)"
OVERHEAD_STEP = "(profiler: marks and report)"
# The rows of the README's Cost table (all rows go to results.json).
README_ROWS = ("verify_rs256_2048", "verify_rs256_2048_1kb", "verify_rs256_4096", "verify_eddsa",
               "get_public_keys_1", "owner")

_MARK = re.compile(r"^(?P<indent>[ \t]*)# gas-mark: (?P<name>.+?)\s*$")
_REPORT = re.compile(r"^(?P<indent>[ \t]*)# gas-mark-report\s*$")

# The recorder frozen into the profiling build only. Its first record is taken
# before its own import costs anything; report() records when it has built its
# text, so only the log call itself is left out of the records.
_RECORDER = '''"""Gas marks of the profiling build (bench/profile.py); not part of the guard."""
import near

# Before anything of the recorder ran: where the runtime start really ends
# (the entry's first mark comes after importing this module).
_marks = [("", near.used_gas())]


def mark(name):
    _marks.append((name, near.used_gas()))


def report():
    text = ",".join('["%%s",%%d]' %% mark for mark in _marks)
    near.log_utf8(%r + "[" + text + ',["%s",' + str(near.used_gas()) + "]]")
''' % (LOG_PREFIX, REPORT_STEP)


def instrument(source: str, *, calibrate: bool = False) -> str:
    """`source` with each mark and report comment turned into the recording call.

    calibrate: follow the first mark with a second one, whose step is what one
    mark costs (subtracted from every step by `steps_of`).
    """
    lines = []
    for line in source.splitlines():
        mark, report = _MARK.match(line), _REPORT.match(line)
        if mark:
            name = mark["name"]
            if '"' in name or "\\" in name:
                raise ValueError(f"a gas mark name must not hold quotes or backslashes: {name!r}")
            line = f'{mark["indent"]}import gas_marks; gas_marks.mark("{name}")'
            if calibrate:
                line += f'\n{mark["indent"]}import gas_marks; gas_marks.mark("{CALIBRATION_STEP}")'
                calibrate = False
        elif report:
            line = f'{report["indent"]}import gas_marks; gas_marks.report()'
        lines.append(line)
    return "\n".join(lines) + "\n"


def profiling_contract(source_dir: Path = GUARD_DIR, target: Path = PROFILE_DIR / "contract") -> Path:
    """A copy of the guard's folder with its marks live; returns the entry module.

    Only the comments change (and NEP-330 metadata is off, since the copy is
    not a checkout), so the build is otherwise the guard's own.
    """
    if target.exists():
        shutil.rmtree(target)
    shutil.copytree(source_dir, target, ignore=shutil.ignore_patterns("__pycache__", "build", "runtime"))
    entry = target / "guard.py"
    for path in target.rglob("*.py"):
        path.write_text(instrument(path.read_text(), calibrate=path == entry))
    (target / "gas_marks.py").write_text(_RECORDER)
    pyproject = target / "pyproject.toml"
    pyproject.write_text(pyproject.read_text().replace("source-metadata = true", "source-metadata = false"))
    return entry


def build_profiling_guard() -> Path:
    entry = profiling_contract()
    return build_contract(entry, PROFILE_DIR / "guard-profile.wasm").path


class _ProfiledBench(Bench):
    """A Bench that keeps the logs of each measured call."""

    def measure(self, method, args=None, *, expect=None):
        self.last_call = (method, encode_args(args))
        result = self.env.call(ALICE, method, args)
        assert result.succeeded and not result.receipt_failures, (method, result.status, result.logs)
        if expect is not None:
            assert result.return_value == expect, (method, result.return_value)
        self.last_logs = list(result.logs)
        return self.env.method_gas(result)


def function_call_fees(method: str, args: bytes) -> int:
    """What NEAR charges a function-call receipt besides running the Wasm: the
    receipt's and the action's execution fees (NEAR's fee schedule, as the
    node charges it)."""
    return (ACTION_FEES_V78["NEW_ACTION_RECEIPT"].execution + ACTION_FEES_V78["FUNCTION_CALL_BASE"].execution
            + ACTION_FEES_V78["FUNCTION_CALL_BYTE"].execution * (len(method) + len(args)))


def contract_loading(wasm_size: int) -> int:
    """What NEAR charges to load a contract of `wasm_size` bytes, before it runs."""
    return EXT_COSTS_V78["CONTRACT_LOADING_BASE"] + EXT_COSTS_V78["CONTRACT_LOADING_BYTES"] * wasm_size


def steps_of(logs: list[str], gas_burnt: int, fees: int, loading: int) -> list[list]:
    """[[step, gas], ...] from a profiled call's logs, in call order.

    Each step is the gas used since the previous mark, less what one mark
    costs (measured by the calibration mark). The fees row is NEAR's
    function-call fees; what the marks and the report cost is the rest, one
    row of its own, so the steps add up to gas_burnt.
    """
    reports = [line[len(LOG_PREFIX):] for line in logs if line.startswith(LOG_PREFIX)]
    if len(reports) != 1:
        raise ValueError(f"expected one gas-mark report in the call's logs, got {len(reports)}")
    records = json.loads(reports[0])
    deltas, previous = [], 0
    for name, used in records:
        deltas.append([name, used - previous])
        previous = used
    mark_cost = next(gas for name, gas in deltas if name == CALIBRATION_STEP)
    # The recorder's own first record ends the entry's first step; the entry's
    # first mark only adds importing the recorder.
    (_, start), (first_name, importing_recorder) = deltas[:2]
    steps, overhead = [[LOADING_STEP, loading], [first_name, start - loading]], importing_recorder
    for name, gas in deltas[2:]:
        if name in (CALIBRATION_STEP, REPORT_STEP):
            overhead += gas
        else:
            steps.append([name, gas - mark_cost])
            overhead += mark_cost
    # After the last record: the report's log call and the return to NEAR.
    steps.append([OVERHEAD_STEP, overhead + gas_burnt - fees - previous])
    steps.append([FEES_STEP, fees])
    return steps


def profile(profile_wasm: Path, real_wasm: Path) -> list[dict]:
    """One profile per bench scenario, with the real guard's gas for the same call."""
    from bench.scenarios import run_scenarios

    real = run_scenarios(real_wasm.read_bytes())
    bench = _ProfiledBench(profile_wasm.read_bytes())
    # The real guard's size: the profiling build is slightly larger, and the
    # difference is part of the profiler's overhead row.
    loading = contract_loading(real_wasm.stat().st_size)
    rows = []
    for scenario in SCENARIOS:
        bench.last_logs = []
        try:
            gas = scenario.run(bench)
            steps = steps_of(bench.last_logs, gas, function_call_fees(*bench.last_call), loading)
        except (ValueError, ContractError):
            # The measured call has no report (a write), or the scenario reads a
            # view of the profiling build, where NEAR refuses used_gas: no profile.
            continue
        rows.append({"name": scenario.name, "title": scenario.title, "profiled_gas": gas,
                     "gas_burnt": real[scenario.name], "steps": steps})
    return rows


def _tgas(gas: int) -> str:
    return f"{gas / TGAS:.2f}"


def format_table(rows: list[dict], names=README_ROWS) -> str:
    """A Markdown table: one column per scenario, one row per step (in call order)."""
    chosen = [row for row in rows if row["name"] in names] if names else rows
    order: list[str] = []
    for row in chosen:
        for name, _ in row["steps"]:
            if name not in order:
                order.append(name)
    for last in (OVERHEAD_STEP, FEES_STEP):
        order.remove(last)
        order.append(last)
    lines = ["| step | " + " | ".join(row["name"] for row in chosen) + " |",
             "|---|" + "---:|" * len(chosen)]
    for step in order:
        cells = []
        for row in chosen:
            gas = sum(g for name, g in row["steps"] if name == step)
            present = any(name == step for name, _ in row["steps"])
            cells.append(_tgas(gas) if present else "")
        lines.append(f"| {step} | " + " | ".join(cells) + " |")
    lines.append("| **profiled call (sum)** | " + " | ".join(f"**{_tgas(row['profiled_gas'])}**" for row in chosen) + " |")
    lines.append("| real guard, same call | " + " | ".join(_tgas(row["gas_burnt"]) for row in chosen) + " |")
    return "\n".join(lines)


def main(argv=None) -> int:
    parser = argparse.ArgumentParser(prog="python -m bench.profile", description=__doc__.splitlines()[0])
    parser.add_argument("--no-write", action="store_true", help="do not add the profile to bench/results.json")
    parser.add_argument("--all", action="store_true", help="print every scenario, not only the README's")
    args = parser.parse_args(argv)
    rows = profile(build_profiling_guard(), build_guard())
    print(format_table(rows, None if args.all else README_ROWS))
    if not args.no_write:
        results = json.loads(RESULTS.read_text()) if RESULTS.exists() else {}
        results["profile"] = {
            "method": "near.used_gas() recorded after each step by the profiling build (bench/profile.py); "
                      "a step's gas is the difference from the previous mark less one mark's own cost; "
                      "contract loading and function-call fees from NEAR's fee schedule; the profiler's "
                      "own cost in a row apart, so the steps add up to profiled_gas; gas_burnt is the "
                      "real guard's for the same call",
            "rows": rows,
        }
        RESULTS.write_text(json.dumps(results, indent=2) + "\n")
        print(f"\nwrote the profile to {RESULTS.relative_to(REPO)}")
    return 0


if __name__ == "__main__":
    sys.exit(main())
