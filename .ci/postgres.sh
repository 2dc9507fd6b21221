#!/usr/bin/env bash
# A throwaway PostgreSQL server for tests/test_postgres.py (product.md §10).
#
#   .ci/postgres.sh [start [DIR]]   start a cluster in DIR (default: a new /tmp/tpi-pg.XXXXXX), listening
#                                   only on a Unix socket in DIR; the last line on stdout is its SQLAlchemy URL
#   .ci/postgres.sh url DIR         print the URL of the cluster in DIR again
#   .ci/postgres.sh stop DIR        stop the cluster in DIR and delete DIR
#
# Example:  url=$(.ci/postgres.sh start /tmp/tpi-pg) && TPI_NOTES_PG_URL=$url pytest tests/test_postgres.py
#           .ci/postgres.sh stop /tmp/tpi-pg
#
# As root it installs the Debian `postgresql` package when the server is missing, and runs the server as the
# `postgres` OS user (PostgreSQL refuses to run as root). As any other user it runs the server as that user,
# provided the server is installed. Rerunning `start` on a running DIR only prints the URL again.
# The cluster trusts every local connection and runs with fsync off: it is for tests, never for patient data.
# Progress goes to stderr, so `url=$(.ci/postgres.sh start DIR)` captures the URL alone.
set -euo pipefail

ROLE=${TPI_PG_ROLE:-tpi}
DATABASE=${TPI_PG_DATABASE:-tpi}
PORT=${TPI_PG_PORT:-5432}  # names the socket file (.s.PGSQL.PORT); no TCP port is opened
MARKER=.tpi-notes-postgres

say() { echo "postgres.sh: $*" >&2; }
die() { say "$*"; exit 1; }

find_bindir() {
  local dir
  dir=$(ls -d /usr/lib/postgresql/*/bin 2>/dev/null | sort -V | tail -n 1 || true)
  if [ -n "$dir" ] && [ -x "$dir/initdb" ] && [ -x "$dir/pg_ctl" ]; then
    echo "$dir"
    return
  fi
  if command -v initdb >/dev/null && command -v pg_ctl >/dev/null; then
    dirname "$(readlink -f "$(command -v initdb)")"
  fi
}

find_psql() {
  if [ -x "$BINDIR/psql" ]; then echo "$BINDIR/psql"; else command -v psql || true; fi
}

ensure_server() {
  BINDIR=$(find_bindir)
  [ -n "$BINDIR" ] && return
  if [ "$(id -u)" != 0 ]; then
    die "the PostgreSQL server (initdb, pg_ctl) is not installed, and installing it needs root;" \
      "run this script as root, or install the Debian package 'postgresql' first"
  fi
  command -v apt-get >/dev/null ||
    die "the PostgreSQL server is not installed and there is no apt-get to install it; install PostgreSQL (>= 12) first"
  say "installing the Debian package postgresql"
  export DEBIAN_FRONTEND=noninteractive
  apt-get update -qq >&2
  apt-get install -y -qq --no-install-recommends postgresql >/dev/null
  BINDIR=$(find_bindir)
  [ -n "$BINDIR" ] || die "apt-get installed postgresql but no initdb/pg_ctl was found under /usr/lib/postgresql"
}

ensure_psql() {
  PSQL=$(find_psql)
  [ -n "$PSQL" ] || die "psql (the PostgreSQL client, Debian package postgresql-client) is missing"
}

# The server's OS user: `postgres` when we are root, else ourselves.
setup_owner() {
  if [ "$(id -u)" = 0 ]; then
    id postgres >/dev/null 2>&1 || die "there is no 'postgres' OS user (the Debian postgresql package creates it)"
    command -v runuser >/dev/null || die "runuser (util-linux) is missing; it is needed to run PostgreSQL as postgres"
    OWNER=postgres
    as_owner() { runuser -u postgres -- "$@"; }
  else
    OWNER=$(id -un)
    as_owner() { "$@"; }
  fi
}

url_for() {
  local port_part=""
  [ "$PORT" = 5432 ] || port_part=":$PORT"
  echo "postgresql+psycopg://$ROLE@$port_part/$DATABASE?host=$1"
}

is_running() {
  [ -f "$1/data/postmaster.pid" ] && as_owner "$BINDIR/pg_ctl" -D "$1/data" status >/dev/null 2>&1
}

psql_admin() {
  # Superuser session over the socket; -X: no ~/.psqlrc, -tA: bare values.
  as_owner "$PSQL" -X -q -tA -v ON_ERROR_STOP=1 -h "$DIR" -p "$PORT" -U postgres -d postgres "$@"
}

start() {
  ensure_server
  ensure_psql
  setup_owner
  if [ -n "${1:-}" ]; then
    DIR=$1
    # Only a new or empty folder, or one this script made: the folder is handed to the server's OS user.
    if [ -d "$DIR" ] && [ ! -f "$DIR/$MARKER" ] && [ -n "$(ls -A "$DIR")" ]; then
      die "$DIR is not empty and was not made by this script; choose a new DIR"
    fi
    mkdir -p "$DIR"
  else
    DIR=$(mktemp -d /tmp/tpi-pg.XXXXXX)
  fi
  DIR=$(cd "$DIR" && pwd -P)
  # The socket path must fit in sun_path (107 bytes).
  [ ${#DIR} -le 80 ] || die "$DIR is too long a path for a Unix socket; choose a shorter DIR"
  touch "$DIR/$MARKER"
  chown "$OWNER" "$DIR"
  chmod 755 "$DIR"
  as_owner test -w "$DIR" ||
    die "the OS user $OWNER cannot write to $DIR (a parent folder is closed to it); choose a DIR under /tmp"

  if [ ! -f "$DIR/data/PG_VERSION" ]; then
    rm -rf "$DIR/data"
    say "initdb in $DIR/data (server $BINDIR)"
    as_owner "$BINDIR/initdb" -D "$DIR/data" -U postgres --auth=trust --encoding=UTF8 --locale=C.UTF-8 \
      --no-sync >"$DIR/initdb.log" 2>&1 || { cat "$DIR/initdb.log" >&2; die "initdb failed"; }
  fi
  if is_running "$DIR"; then
    say "already running in $DIR"
  else
    say "starting the server on the socket $DIR/.s.PGSQL.$PORT"
    # fsync, synchronous_commit and full-page writes off: a test cluster that need not survive a power cut.
    # autovacuum off: a test's DROP DATABASE … WITH (FORCE) could meet an autovacuum worker it may not end
    # ("must be a member of the role whose process is being terminated"), seen on a loaded machine.
    as_owner "$BINDIR/pg_ctl" -D "$DIR/data" -l "$DIR/server.log" -w -t 60 \
      -o "-c listen_addresses='' -k $DIR -p $PORT -c fsync=off -c synchronous_commit=off -c full_page_writes=off -c autovacuum=off" \
      start >/dev/null || { tail -n 20 "$DIR/server.log" >&2; die "the server did not start"; }
  fi
  if [ "$(psql_admin -c "SELECT 1 FROM pg_roles WHERE rolname = '$ROLE'")" != 1 ]; then
    psql_admin -c "CREATE ROLE \"$ROLE\" LOGIN CREATEDB"
  fi
  psql_admin -c "GRANT pg_signal_backend TO \"$ROLE\"" >/dev/null
  if [ "$(psql_admin -c "SELECT 1 FROM pg_database WHERE datname = '$DATABASE'")" != 1 ]; then
    psql_admin -c "CREATE DATABASE \"$DATABASE\" OWNER \"$ROLE\""
  fi
  url_for "$DIR"
}

stop() {
  [ -n "${1:-}" ] || die "usage: $0 stop DIR"
  [ -d "$1" ] || { say "$1 does not exist; nothing to stop"; return 0; }
  DIR=$(cd "$1" && pwd -P)
  [ -f "$DIR/$MARKER" ] || die "$DIR was not made by this script; not touching it"
  BINDIR=$(find_bindir)
  setup_owner
  if [ -n "$BINDIR" ] && is_running "$DIR"; then
    say "stopping the server in $DIR"
    as_owner "$BINDIR/pg_ctl" -D "$DIR/data" -m fast -w stop >/dev/null
  fi
  rm -rf "$DIR"
}

case "${1:-start}" in
  start) start "${2:-}" ;;
  stop) stop "${2:-}" ;;
  url)
    [ -n "${2:-}" ] && [ -f "$2/$MARKER" ] || die "usage: $0 url DIR (a DIR made by $0 start)"
    url_for "$(cd "$2" && pwd -P)"
    ;;
  *) die "usage: $0 [start [DIR]] | url DIR | stop DIR" ;;
esac
