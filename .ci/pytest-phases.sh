#!/usr/bin/env bash
# The whole suite in two phases (the `make test` recipe):
#   1. every test not marked `serial`, on two processes (pytest-xdist; whole modules to one process, so module
#      fixtures are built once) — about half the wall time of one process on a 2-core machine;
#   2. the `serial` tests alone: multi-process campaigns whose waits are part of what they assert (concurrent
#      workstations, the reduced resilience campaigns), which a busy second worker would make flaky.
# Both phases always run; the exit code is the first phase's when it failed, else the second's.
# TPI_TEST_WORKERS overrides the number of processes of phase 1 (1 runs it without xdist).
#   .ci/pytest-phases.sh .venv/bin/python [pytest arguments…]
set -uo pipefail
py=$1
shift
workers=${TPI_TEST_WORKERS:-2}
if [ "$workers" = 1 ]; then
  "$py" -m pytest -m "not serial" "$@"
else
  # --max-worker-restart=0: a worker that dies (a crash in Qt) ends the run with its tests failed; a restarted
  # worker under --dist loadfile can wait forever for work (seen once), which would hold CI until its limit.
  "$py" -m pytest -n "$workers" --dist loadfile --max-worker-restart=0 -m "not serial" "$@"
fi
first=$?
"$py" -m pytest -m serial "$@"
second=$?
[ "$first" -ne 0 ] && exit "$first"
exit "$second"
