"""Where guardctl writes: results to stdout (text or `--json`), progress and
warnings to stderr.

Progress lines are shown when stderr is a terminal (or with `--progress`), so
scripts that capture stderr see nothing there but warnings and the one error
line.
"""
from __future__ import annotations

import json
import sys
import time


def to_json(data) -> str:
    """Indented JSON, with each list of integers (key bytes, sign_payloads) on one line
    rather than one integer per line."""
    marker = "@@guardctl-int-list-"
    lists: list[str] = []

    def compact(value):
        if isinstance(value, list) and value and all(type(item) is int for item in value):
            lists.append(json.dumps(value, separators=(", ", ":")))
            return f"{marker}{len(lists) - 1}@@"
        if isinstance(value, list):
            return [compact(item) for item in value]
        if isinstance(value, dict):
            return {key: compact(item) for key, item in value.items()}
        return value

    text = json.dumps(compact(data), indent=2, sort_keys=False)
    for index, compact_list in enumerate(lists):
        text = text.replace(f'"{marker}{index}@@"', compact_list, 1)
    return text


class Output:
    def __init__(self, *, as_json: bool = False, progress: bool | None = None):
        self.as_json = as_json
        self.show_progress = sys.stderr.isatty() if progress is None else progress
        self._started = time.monotonic()

    def progress(self, message: str) -> None:
        if self.show_progress:
            elapsed = time.monotonic() - self._started
            print(f"[{elapsed:5.1f}s] {message}", file=sys.stderr, flush=True)

    def warn(self, message: str) -> None:
        print(f"guardctl: warning: {message}", file=sys.stderr, flush=True)

    def result(self, data, text: str | list[str] | None = None) -> None:
        """Print the command's result: `data` as JSON with --json, else `text`."""
        if self.as_json:
            print(to_json(data))
        elif text is not None:
            print(text if isinstance(text, str) else "\n".join(text))
