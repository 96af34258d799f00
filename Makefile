# Every target installs what it needs first (scripts/bootstrap.sh is idempotent and quiet when done).
PY := .venv/bin/python

.PHONY: setup test
setup:
	@scripts/bootstrap.sh

test: setup
	$(PY) -m pytest
