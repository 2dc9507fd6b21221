#!/usr/bin/env bash
# Run a command (the test suite) with a throwaway PostgreSQL server, so tests/test_postgres.py runs too:
#   .ci/with-postgres.sh python -m pytest
# Where no server can be had (not root and PostgreSQL not installed) the command still runs, the PostgreSQL
# tests skip, and this says why; with TPI_NOTES_REQUIRE_PG=1 (CI) that is an error instead.
set -uo pipefail
here=$(dirname "$0")
if [ -n "${TPI_NOTES_PG_URL:-}" ]; then  # a server given from outside
  exec "$@"
fi
pgdir=$(mktemp -d /tmp/tpi-pg.XXXXXX)
if url=$(bash "$here/postgres.sh" start "$pgdir"); then
  trap 'bash "$here/postgres.sh" stop "$pgdir" >/dev/null 2>&1 || true' EXIT
  export TPI_NOTES_PG_URL=$url
  echo "with-postgres.sh: PostgreSQL tests run against a throwaway server in $pgdir" >&2
else
  rm -rf "$pgdir"
  if [ "${TPI_NOTES_REQUIRE_PG:-}" = 1 ]; then
    echo "with-postgres.sh: no PostgreSQL server could be started, and TPI_NOTES_REQUIRE_PG=1" >&2
    exit 1
  fi
  echo "with-postgres.sh: no PostgreSQL server (see above); the PostgreSQL tests will be skipped" >&2
fi
"$@"
