#!/usr/bin/env bash
# SPDX-License-Identifier: MIT
# lossy-link.sh OUTDIR -- one call of the course through linksim at 30 % loss each way, drawn
# as time-sequence diagrams (docs/DIAGRAMS.md): linksim's view, OUTDIR/lossy-link.svg, and the
# client's, OUTDIR/lossy-link-client.svg, rendered by mscgen from the programs' --msc files
# (kept beside them in OUTDIR unless OUTDIR is docs/, where only the README's SVG goes). Run by
# `make demo` (OUTDIR build/demo) and `make diagram` (OUTDIR docs); needs ./server, ./linksim
# and ./client at the repository's root, and mscgen. Stops every program it started by pid.
set -uo pipefail
cd "$(dirname "$0")/.."
out=${1:?usage: scripts/lossy-link.sh OUTDIR}
mkdir -p "$out"

work=$(mktemp -d)
pids=()
cleanup() {
  for pid in "${pids[@]}"; do kill "$pid" 2>/dev/null && wait "$pid" 2>/dev/null; done
  rm -rf "$work"
}
trap cleanup EXIT

# wait_for NAME PATTERN -- the first match of sed PATTERN in $work/NAME.log, within 5 s.
wait_for() {
  local found=
  for _ in $(seq 50); do
    found=$(sed -n "$2" "$work/$1.log" | head -1)
    [[ -n "$found" ]] && break
    sleep 0.1
  done
  [[ -n "$found" ]] || { cat "$work/$1.log" >&2; echo "lossy-link: $1 did not start" >&2; exit 1; }
  echo "$found"
}

# The seed fixes linksim's decisions: with it, the first request and the first reply are lost.
seed=3
./server ::1 0 2>"$work/server.log" &
pids+=($!)
server_port=$(wait_for server 's/^server: listening on \[::1\]:\([0-9]*\).*/\1/p')
./linksim --seed "$seed" --loss 30 --msc "$work/lossy-link.msc" ::1 0 ::1 "$server_port" \
  2>"$work/linksim.log" &
linksim=$!
pids+=("$linksim")
link_port=$(wait_for linksim 's/^linksim: listening on \[::1\]:\([0-9]*\),.*/\1/p')

echo "\$ ./linksim --seed $seed --loss 30 --msc lossy-link.msc ::1 0 ::1 $server_port &"
echo "\$ ./client --timeout 100 --msc lossy-link-client.msc -op + ::1 $link_port 1 3 5 7 9"
./client --timeout 100 --msc "$work/lossy-link-client.msc" -op + ::1 "$link_port" 1 3 5 7 9
kill "$linksim" && wait "$linksim"
grep -E '^linksim: (forward|reverse) .*: received' "$work/linksim.log" || true

for name in lossy-link lossy-link-client; do
  mscgen -T svg -o "$out/$name.svg" "$work/$name.msc" || exit 1
  [[ "$out" == docs ]] || cp "$work/$name.msc" "$out/"
done
[[ "$out" == docs ]] && rm -f docs/lossy-link-client.svg
echo "Time-sequence diagram of the exchange: $out/lossy-link.svg (linksim's view)"
[[ "$out" == docs ]] || echo "  and $out/lossy-link-client.svg (the client's); mscgen input beside them (.msc)"
