"""An authorization hook for the shutdown test: marks that a request is inside the service, then holds it."""
from __future__ import annotations

import os
import time
import uuid
from pathlib import Path

HOLD_SECONDS = 1.5


def hold(_context) -> None:
    Path(os.environ["ISSUER_TEST_INFLIGHT_DIR"], uuid.uuid4().hex).touch()
    time.sleep(HOLD_SECONDS)
    return None
