#!/usr/bin/env bash
# Gateway CPU with the journal on vs off, at PILES simulated piles sending one heartbeat and one
# real-time frame (0x13) per second each (issue 9's benchmark). Runs the modes alternately,
# ROUNDS times, in one run, and prints the gateway's CPU (user+system, from /proc) over the
# steady window after the ramp. Loopback only; bounded by DUR.
#
#   cargo build --release -p ykc && bench/journal-cpu.sh
#   PILES=2000 DUR=40 RAMP=10 ROUNDS=1 bench/journal-cpu.sh     # a quick look
set -euo pipefail
BIN=${BIN:-target/release/ykc}
PILES=${PILES:-10000}
DUR=${DUR:-70}      # seconds the simulated piles run
RAMP=${RAMP:-20}    # seconds over which they connect
ROUNDS=${ROUNDS:-2}
TICK=$(getconf CLK_TCK)
WORK=$(mktemp -d)
trap 'kill $(jobs -p) 2>/dev/null || true; rm -rf "$WORK"' EXIT

cpu_ticks() { awk '{print $14 + $15}' "/proc/$1/stat"; }

run() {
  local mode=$1 port=$((20000 + RANDOM % 12000)) journal  # below the ephemeral range the sim connects from
  local http=$((port + 1))
  if [ "$mode" = on ]; then journal="$WORK/journal-$RANDOM.db"; else journal=off; fi
  "$BIN" serve -host 127.0.0.1 -tcpPort "$port" -httpPort "$http" -autoVerification true -autoBillingModelVerify true \
    --journal "$journal" --max-connections 20000 >"$WORK/gw.log" 2>&1 &
  local gw=$!
  sleep 1
  "$BIN" sim --target "127.0.0.1:$port" --piles "$PILES" --duration "${DUR}s" --ramp "${RAMP}s" \
    --heartbeat-interval 1s --realtime-interval 1s --progress-interval 0s --json >"$WORK/sim.json" &
  local sim=$!
  sleep $((RAMP + 5))
  local t0 w=$((DUR - RAMP - 10))
  t0=$(cpu_ticks "$gw")
  sleep "$w"
  local t1
  t1=$(cpu_ticks "$gw")
  wait "$sim" || true
  kill -TERM "$gw"; wait "$gw" || true
  local rows=""
  if [ "$mode" = on ]; then
    rows=" journal_rows=$(sqlite3 "$journal" 'select count(*) from frames' 2>/dev/null || echo '?')"
  fi
  local fps
  fps=$(grep -o '"frames_per_sec": *[0-9.]*' "$WORK/sim.json" | cut -d: -f2 | tr -d ' ')
  awk -v m="$mode" -v t=$((t1 - t0)) -v w="$w" -v k="$TICK" -v f="$fps" -v r="$rows" \
    'BEGIN { printf "journal %-3s cpu %.1f%% of one core over %ds (sim %s frames/s)%s\n", m, 100*t/k/w, w, f, r }'
}

for _ in $(seq "$ROUNDS"); do
  run off
  run on
done
