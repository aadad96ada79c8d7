#!/bin/sh
# Runs inside the lpda-sync image (tests/docker/image-test mounts it and the directories below):
#   /check              results for the host to assert: expected.ndjson, copies of the database
#                       after `once` and after `run` (after-once/, after-run/), logs
#   /etc/lpda-sync      where this script writes config.yaml, the path the image's CMD and
#                       HEALTHCHECK read
# Arguments: METRICS_PORT. /check/cmd-run and /check/cmd-health hold the image's ENTRYPOINT+CMD
# and HEALTHCHECK command (shell-quoted), so what runs here is exactly what the image declares.
set -eu
port=$1
say() { printf 'in-image: %s\n' "$*"; }
fail() { printf 'in-image: FAILED: %s\n' "$*" >&2; exit 1; }

emulator_pid=
run_pid=
cleanup() {
  [ -z "$run_pid" ] || kill "$run_pid" 2>/dev/null || true
  [ -z "$emulator_pid" ] || kill "$emulator_pid" 2>/dev/null || true
}
trap cleanup EXIT

say "user $(id -un) (uid $(id -u)), $(lpda-sync --version)"
[ "$(id -u)" != 0 ] || fail "the image runs as root"
[ "$(id -un)" = lpda-sync ] || fail "the image's user $(id -u) is not named lpda-sync"
for tool in g++ cc cmake ninja; do
  if command -v "$tool" >/dev/null 2>&1; then fail "the runtime image contains the build tool $tool"; fi
done

# The emulator on loopback with a fixed "now", so the set of available files cannot change
# while the test runs; it writes that set to /check/expected.ndjson at start.
now_ms=$(date +%s%3N)
lpda-emulator --port 0 --accounts 12345678,87654321 --agents 6 --hours 24 --now "$now_ms" \
  --late-percent 10 --expected-out /check/expected.ndjson \
  >/check/emulator.url 2>/check/emulator.log &
emulator_pid=$!
i=0
while [ ! -s /check/emulator.url ] && [ $i -lt 100 ]; do sleep 0.1; i=$((i + 1)); done
url=$(head -n 1 /check/emulator.url)
case $url in http://*) ;; *) cat /check/emulator.log >&2; fail "lpda-emulator did not start" ;; esac
say "lpda-emulator serves 2 accounts x 24 hours at $url"

write_config() { # LISTEN
  cat >/etc/lpda-sync/config.yaml <<YAML
database: /var/lib/lpda-sync/lpda.db
listen: "$1"
defaults:
  initial_start: 30h
  poll_interval: 1m
accounts:
  - id: "12345678"
    base_url: $url
    auth:
      oauth1: {app_key: emulator-app-key, app_secret: emulator-app-secret,
               access_token: emulator-access-token, access_token_secret: emulator-access-token-secret}
  - id: "87654321"
    base_url: $url
    auth:
      oauth1: {app_key: emulator-app-key, app_secret: emulator-app-secret,
               access_token: emulator-access-token, access_token_secret: emulator-access-token-secret}
YAML
}

# The database is in the image's volume, /var/lib/lpda-sync (buildah run gives each run a fresh
# one and ignores a -v at a VOLUME path, so the host gets copies).

# 1. lpda-sync once: every available file stored (the host compares the rows).
write_config ""
say "lpda-sync once"
rc=0
lpda-sync once --config /etc/lpda-sync/config.yaml >/check/once.out 2>/check/once.log || rc=$?
[ -s /check/once.log ] || fail "lpda-sync once wrote no log lines to stderr"
sed 's/^/  | /' /check/once.log | tail -n 8
[ $rc -eq 0 ] || fail "lpda-sync once exited $rc (log: /check/once.log)"
lpda-sync status --json --config /etc/lpda-sync/config.yaml >/check/status.json \
  || fail "lpda-sync status --json exited $?"
save_database() { # DIR: a copy of the database for the host to compare
  mkdir -p "$1"
  for f in lpda.db lpda.db-wal; do
    if [ -e "/var/lib/lpda-sync/$f" ]; then cp "/var/lib/lpda-sync/$f" "$1/"; fi
  done
}
save_database /check/after-once

# 2. The image's HEALTHCHECK command: 1 while nothing listens, 0 against the running daemon
#    (started with the image's ENTRYPOINT + CMD), 1 again after it stopped on STOPSIGNAL.
write_config "0.0.0.0:$port"
eval "set -- $(cat /check/cmd-health)"
say "health check while nothing listens on $port: $*"
rc=0; "$@" >/check/health-down.out 2>&1 || rc=$?
[ $rc -eq 1 ] || { cat /check/health-down.out >&2; fail "the health check exited $rc with nothing listening (expected 1)"; }

eval "set -- $(cat /check/cmd-run)"
say "starting the daemon: $*"
"$@" >/check/run.out 2>/check/run.log &
run_pid=$!
eval "set -- $(cat /check/cmd-health)"
healthy=0
i=0
while [ $i -lt 60 ]; do
  kill -0 "$run_pid" 2>/dev/null || { cat /check/run.log >&2; fail "lpda-sync run exited early"; }
  rc=0; "$@" >/check/health-up.out 2>&1 || rc=$?
  if [ $rc -eq 0 ]; then healthy=1; break; fi
  [ $rc -eq 1 ] || { cat /check/health-up.out >&2; fail "the health check exited $rc (expected 0 or 1)"; }
  sleep 0.5; i=$((i + 1))
done
[ $healthy -eq 1 ] || { cat /check/health-up.out /check/run.log >&2; fail "the health check did not pass within 30 s"; }
say "health check passed against lpda-sync run (attempt $((i + 1)))"

signal=$(cat /check/stopsignal)
say "stopping the daemon with $signal"
kill -s "${signal#SIG}" "$run_pid"
rc=0; wait "$run_pid" || rc=$?
run_pid=
[ $rc -eq 0 ] || { tail -n 20 /check/run.log >&2; fail "lpda-sync run exited $rc on $signal (expected 0)"; }
[ -s /check/run.log ] || fail "lpda-sync run wrote no log lines to stderr"
sed 's/^/  | /' /check/run.log | tail -n 6

rc=0; "$@" >/check/health-stopped.out 2>&1 || rc=$?
[ $rc -eq 1 ] || { cat /check/health-stopped.out >&2; fail "the health check exited $rc after the daemon stopped (expected 1)"; }
say "health check fails (exit 1) once the daemon has stopped"

save_database /check/after-run

kill "$emulator_pid"; wait "$emulator_pid" || true
emulator_pid=
say "done"
