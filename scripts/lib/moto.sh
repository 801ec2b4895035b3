# Sourced by scripts that need a real S3-compatible store (scripts/test, scripts/chaos,
# scripts/cluster-test): moto's server with signature checks on (scripts/lib/moto_s3.py),
# from the venv scripts/setup makes, its files in a fresh folder under /tmp.
#
#   moto_start [--listen ADDR]  # exports AURIS_TEST_MEDIA_URL, AWS_ACCESS_KEY_ID,
#                               # AWS_SECRET_ACCESS_KEY (and MOTO_DIR, MOTO_PID)
#   moto_stop                   # stops it by pid, folder removed; safe to call twice
#
# Callers put moto_stop in their EXIT trap.

MOTO_DIR=""
MOTO_PID=""
MOTO_HOLD_PID=""

moto_start() {
  local root python listen=()
  root="$(cd "$(dirname "${BASH_SOURCE[0]}")/../.." && pwd)"
  python="${AURIS_MOTO_PYTHON:-$root/.venv-moto/bin/python}"
  if [ ! -x "$python" ]; then
    echo "moto.sh: $python is missing: run scripts/setup, which makes .venv-moto" >&2
    return 1
  fi
  if [ "${1:-}" = "--listen" ]; then listen=(--listen "${2:?moto_start --listen needs an address}"); fi
  MOTO_DIR="$(mktemp -d /tmp/auris-moto.XXXXXX)"
  # moto_s3.py serves until its standard input closes: a fifo held open by a sleeper
  # that moto_stop kills.
  mkfifo "$MOTO_DIR/stdin"
  sleep infinity >"$MOTO_DIR/stdin" &
  MOTO_HOLD_PID=$!
  setsid "$python" "$root/scripts/lib/moto_s3.py" "${listen[@]}" <"$MOTO_DIR/stdin" >"$MOTO_DIR/ready" 2>"$MOTO_DIR/moto.log" &
  MOTO_PID=$!
  local waited=0
  until [ -s "$MOTO_DIR/ready" ]; do
    if ! kill -0 "$MOTO_PID" 2>/dev/null || [ "$waited" -ge 900 ]; then
      echo "moto.sh: moto_s3.py did not start:" >&2
      tail -n 20 "$MOTO_DIR/moto.log" >&2
      moto_stop
      return 1
    fi
    sleep 0.1
    waited=$((waited + 1))
  done
  eval "$(python3 - "$MOTO_DIR/ready" <<'PY'
import json, shlex, sys
ready = json.loads(open(sys.argv[1]).readline())
url = f"s3://{ready['bucket']}/tests?endpoint={ready['endpoint']}&region={ready['region']}"
print(f"export AURIS_TEST_MEDIA_URL={shlex.quote(url)}")
print(f"export AWS_ACCESS_KEY_ID={shlex.quote(ready['accessKeyId'])}")
print(f"export AWS_SECRET_ACCESS_KEY={shlex.quote(ready['secretAccessKey'])}")
PY
)"
}

moto_stop() {
  if [ -n "$MOTO_PID" ]; then
    kill "$MOTO_PID" 2>/dev/null || true
    wait "$MOTO_PID" 2>/dev/null || true
  fi
  if [ -n "$MOTO_HOLD_PID" ]; then
    kill "$MOTO_HOLD_PID" 2>/dev/null || true
    wait "$MOTO_HOLD_PID" 2>/dev/null || true
  fi
  if [ -n "$MOTO_DIR" ]; then rm -rf "$MOTO_DIR"; fi
  MOTO_PID="" MOTO_HOLD_PID="" MOTO_DIR=""
}
