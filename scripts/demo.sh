#!/usr/bin/env bash
# SPDX-License-Identifier: MIT
# demo.sh -- the course's calls against real servers on loopback (run by `make demo`).
# Starts three servers (IPv6 loopback, IPv4 loopback, a Unix socket) on free ports, runs
# the calls, shows what each prints and its exit status, and stops the servers by pid; then
# draws a call through linksim at 30 % loss (scripts/lossy-link.sh, into build/demo/).
set -uo pipefail
cd "$(dirname "$0")/.."

work=$(mktemp -d)
pids=()
cleanup() {
  for pid in "${pids[@]}"; do kill "$pid" 2>/dev/null && wait "$pid" 2>/dev/null; done
  rm -rf "$work"
}
trap cleanup EXIT

# The arguments as a shell would need them typed ('*' quoted).
quoted() { printf '%q ' "$@" | sed 's/ $//'; }

# start NAME ARGS... -- starts ./server ARGS in the background; waits (at most 5 s) for its
# "listening on" line and sets $listen to the address it prints.
start() {
  local name=$1
  shift
  echo "\$ ./server $(quoted "$@") &"
  ./server "$@" 2>"$work/$name.log" &
  pids+=($!)
  for _ in $(seq 50); do
    listen=$(sed -n 's/^server: listening on \([^ ]*\).*/\1/p' "$work/$name.log")
    [[ -n "$listen" ]] && break
    sleep 0.1
  done
  [[ -n "$listen" ]] || { cat "$work/$name.log"; echo "demo: server did not start" >&2; exit 1; }
  echo "server: listening on $listen"
}

run() {
  echo "\$ ./client $(quoted "$@")"
  ./client "$@"
  echo "  (exit status $?)"
}

start v6 ::1 0
port6=${listen##*:}
start v4 127.0.0.1 0
port4=${listen##*:}
sock="$work/calc.sock"
start unix "unix:$sock"
echo

echo "# The course's two calls"
run -op + ::1 "$port6" 1 3 5 7 9
run -op '*' -s ::1 "$port6" 1 3 5 7 9
echo
echo "# Over IPv4, and wrapping modulo 2^32"
run -op + 127.0.0.1 "$port4" 4294967295 2
echo
echo "# Over a Unix-domain socket"
run -op '*' "unix:$sock" 6 7
echo
echo "# The bytes on the wire (-v)"
run -v -op '*' -s ::1 "$port6" 1 3 5 7 9
echo
echo "# Errors: a negative integer (usage), and a port where nobody listens"
run -op + ::1 "$port6" 1 -5
run -op + --timeout 100 --retries 1 127.0.0.1 "$port6" 1 2
echo

echo "# Stopping the servers (SIGTERM); each prints its counters"
for pid in "${pids[@]}"; do kill "$pid"; wait "$pid"; done
pids=()
cat "$work/v6.log" "$work/v4.log" "$work/unix.log" | grep -v 'listening on'
echo

echo "# A call through a lossy link (linksim, 30 % loss each way), drawn as a time-sequence"
echo "# diagram from the programs' --msc files (docs/DIAGRAMS.md)"
scripts/lossy-link.sh build/demo
