# Sourced by scripts that need a real PostgreSQL (scripts/test, scripts/chaos,
# scripts/bench.d/queue): a throwaway cluster in a fresh folder under /tmp, run as the
# `postgres` system user (the server refuses to run as root), reached over a Unix socket
# in that folder. fsync=off because the data is thrown away at the end; commits stay
# synchronous (synchronous_commit=on) so what the tests and benchmarks see is the
# production commit path.
#
#   pg_start [--listen ADDR]  # exports AURIS_TEST_POSTGRES_URL (and PG_DIR, PG_PID)
#   pg_createdb NAME          # a new empty database on that cluster
#   pg_url NAME               # the URL of database NAME on that cluster
#   pg_stop                   # fast shutdown by pid, folder removed; safe to call twice
#
# --listen ADDR also listens on ADDR:5432 and trusts clients from ADDR's /24 (for tests
# whose hosts are network namespaces reaching the server over a veth pair).
# Callers put pg_stop in their EXIT trap.

PG_DIR=""
PG_PID=""

# The server binaries are not on PATH on Debian; the newest installed major wins.
pg_bin() {
  if [ -n "${PG_BIN:-}" ]; then echo "$PG_BIN"; return; fi
  local dir
  dir="$(find /usr/lib/postgresql -mindepth 2 -maxdepth 2 -name bin -type d 2>/dev/null | sort -V | tail -n 1)"
  if [ -z "$dir" ]; then
    echo "postgres.sh: no PostgreSQL server found in /usr/lib/postgresql (run scripts/setup)" >&2
    return 1
  fi
  echo "$dir"
}

# The server refuses to run as root: as root it runs as `postgres`, else as the caller.
pg_as_postgres=()
if [ "$(id -u)" -eq 0 ]; then pg_as_postgres=(runuser -u postgres --); fi

pg_start() {
  local listen="" bin
  if [ "${1:-}" = "--listen" ]; then listen="${2:?pg_start --listen needs an address}"; fi
  bin="$(pg_bin)" || return 1
  # Under /tmp, short: a Unix socket path must fit in 107 bytes.
  PG_DIR="$(mktemp -d /tmp/auris-pg.XXXXXX)"
  if [ "${#pg_as_postgres[@]}" -gt 0 ]; then chown postgres:postgres "$PG_DIR"; fi
  chmod 700 "$PG_DIR"
  if ! "${pg_as_postgres[@]}" "$bin/initdb" -D "$PG_DIR/data" --auth=trust -U postgres --no-sync \
    --encoding=UTF8 --locale=C >"$PG_DIR/initdb.log" 2>&1; then
    echo "postgres.sh: initdb failed:" >&2
    tail -n 20 "$PG_DIR/initdb.log" >&2
    return 1
  fi
  local listen_addresses=""  # none: the socket only
  if [ -n "$listen" ]; then
    listen_addresses="$listen"
    echo "host all all ${listen%.*}.0/24 trust" >>"$PG_DIR/data/pg_hba.conf"
  fi
  # setsid: the server gets its own process group, so a Ctrl-C to the caller's group
  # does not kill it before pg_stop shuts it down cleanly.
  setsid "${pg_as_postgres[@]}" "$bin/postgres" -D "$PG_DIR/data" -k "$PG_DIR" \
    -c listen_addresses="$listen_addresses" -c port=5432 \
    -c fsync=off -c synchronous_commit=on -c full_page_writes=off \
    -c max_connections=300 -c shared_buffers=128MB \
    >"$PG_DIR/postgres.log" 2>&1 </dev/null &
  local launcher=$! ready=0
  for _ in $(seq 1 300); do
    if pg_isready -q -h "$PG_DIR" -p 5432 -U postgres; then ready=1; break; fi
    if ! kill -0 "$launcher" 2>/dev/null; then break; fi
    sleep 0.1
  done
  if [ "$ready" -ne 1 ]; then
    echo "postgres.sh: the server in $PG_DIR exited or did not accept connections within 30 s:" >&2
    tail -n 20 "$PG_DIR/postgres.log" >&2
    # A server still starting is stopped like a running one.
    if [ -f "$PG_DIR/data/postmaster.pid" ]; then PG_PID="$(head -n 1 "$PG_DIR/data/postmaster.pid")"; fi
    pg_stop
    return 1
  fi
  PG_PID="$(head -n 1 "$PG_DIR/data/postmaster.pid")"
  export PG_DIR PG_PID
  AURIS_TEST_POSTGRES_URL="$(pg_url postgres)"
  export AURIS_TEST_POSTGRES_URL
  echo "postgres.sh: PostgreSQL (pid $PG_PID) on $PG_DIR${listen:+ and $listen:5432}" >&2
}

pg_url() { echo "postgres://postgres@localhost/$1?host=$PG_DIR"; }

pg_createdb() {
  psql -q -X -v ON_ERROR_STOP=1 "host=$PG_DIR port=5432 user=postgres dbname=postgres" \
    -c "CREATE DATABASE \"$1\"" >&2
}

pg_stop() {
  if [ -n "$PG_PID" ]; then
    # SIGINT is PostgreSQL's fast shutdown: it ends sessions and exits without waiting.
    kill -INT "$PG_PID" 2>/dev/null || true
    for _ in $(seq 1 100); do kill -0 "$PG_PID" 2>/dev/null || break; sleep 0.1; done
    if kill -0 "$PG_PID" 2>/dev/null; then
      echo "postgres.sh: server $PG_PID still running 10 s after SIGINT, killing it" >&2
      # Its backends notice the postmaster's death and exit on their own.
      kill -KILL "$PG_PID" 2>/dev/null || true
    fi
    PG_PID=""
  fi
  if [ -n "$PG_DIR" ]; then
    rm -rf "$PG_DIR"
    PG_DIR=""
  fi
}
