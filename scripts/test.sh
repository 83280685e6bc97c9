#!/usr/bin/env bash
# The whole test suite, from a fresh machine: install what the tests need
# (Debian packages for the end-to-end servers, the package with its test
# extra), then run pytest over everything, end-to-end tests included.
set -euo pipefail
cd "$(dirname "${BASH_SOURCE[0]}")/.."

bash scripts/install-test-deps.sh

PYTHON=${PYTHON:-python3}
set +e
"$PYTHON" -m pytest -q "$@"
status=$?
set -e
if [ "$status" -eq 5 ]; then
    echo "test.sh: pytest collected no tests; that is a failure here" >&2
    exit 1
fi
exit "$status"
