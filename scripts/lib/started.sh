# Sourced by the scripts that start auris and a fake for one test run (browser-test,
# stripe-oracle-test): a temporary folder, free ports, waits on URLs, and one trap that
# stops everything started. The caller sets `name` (its prefix in messages) and
# `main_log` (the log shown when the run fails, relative to $work), and appends the pid
# of each process it starts to `pids`.
work="$(mktemp -d -t "auris-$name.XXXXXX")"
pids=()
started=$SECONDS

stop_all() {
  local status=$?
  for pid in "${pids[@]}"; do kill -TERM "$pid" 2>/dev/null || true; done
  for pid in "${pids[@]}"; do
    # `auris up` drains its workers; give it a moment, then insist.
    for _ in $(seq 1 100); do kill -0 "$pid" 2>/dev/null || break; sleep 0.1; done
    kill -KILL "$pid" 2>/dev/null || true
    wait "$pid" 2>/dev/null || true
  done
  if [ "$status" -ne 0 ] && [ -f "$work/$main_log" ]; then
    echo "--- $main_log (last 40 lines) ---" >&2
    tail -n 40 "$work/$main_log" >&2
  fi
  rm -rf "$work"
  echo "$name: $((SECONDS - started)) s" >&2
}
trap stop_all EXIT

free_port() { python3 -c 'import socket; s = socket.socket(); s.bind(("127.0.0.1", 0)); print(s.getsockname()[1])'; }

wait_for() {  # url, log file, pid
  for _ in $(seq 1 300); do
    if curl -fsS -o /dev/null "$1" 2>/dev/null; then return 0; fi
    if ! kill -0 "$3" 2>/dev/null; then echo "$name: process for $1 exited:" >&2; cat "$2" >&2; return 1; fi
    sleep 0.1
  done
  echo "$name: $1 did not answer in 30 s" >&2
  cat "$2" >&2
  return 1
}

# run_bounded SECONDS COMMAND…: COMMAND's exit status; says so when it ran out of time.
run_bounded() {
  local seconds="$1" status=0
  shift
  timeout --kill-after=10 "$seconds" "$@" || status=$?
  if [ "$status" -eq 124 ]; then echo "$name: the checks did not finish in $seconds s" >&2; fi
  return "$status"
}
