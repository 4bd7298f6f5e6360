#!/usr/bin/env bash
# A fleet on this machine (issue 10): one nats-server (JetStream, scratch dir) and GWS `ykc serve`
# gateways on loopback, PILES simulated piles at real rates (heartbeat 10 s, real-time data 15 s)
# connecting over RAMP seconds, spread over every gateway. The piles are split over several
# `ykc sim` processes (a process may hold at most 20,000 open files here), each at most
# PER_SIM piles with its own --pile-code-base. Prints piles logged in, reply p99 (the worst
# sim's), errors, each gateway's RSS and CPU seconds (from /proc), memory per pile, CPU per
# 10k piles, and the login-storm rate. Loopback only; bounded by DUR.
#
# The sims' p99 covers their whole run, login storm included. The steady state's own p99 comes
# from a probe: PROBE more piles (own process, own pile codes, real rates) that connect once the
# fleet is in and run through the steady window.
#
#   cargo build --release -p ykc --bin ykc && bench/fleet-100k.sh
#   PILES=18000 GWS=6 DUR=60 RAMP=10 bench/fleet-100k.sh          # a quick look
#   JOURNAL=on bench/fleet-100k.sh                                 # with each gateway's journal
#   FLEET= bench/fleet-100k.sh                                     # six independent gateways
#
# Measured here (2 cores), 100,000 piles, 6 gateways in one fleet (the default FLEET):
# all logged in, no errors, login storm ~2,470/s. Journal off: reply p99 7.2 ms over the whole
# run, steady probe p99 2.7 ms, 4.93 KB per pile, 7.2% of a core per 10k piles. Journal on
# (JOURNAL=on): p99 80 ms, steady probe p99 20 ms, 5.5 KB per pile, 10.9% of a core per 10k
# piles (six SQLite writers fsyncing on two cores). Without the fleet (FLEET=): 4.48 KB and
# 6.2% of a core per 10k piles, p99 2.6 ms.
#
# FLEET is added to each gateway's flags, with {nats} the NATS port and {i} the gateway's
# number (0-based); by default the gateways form one fleet (`FLEET=` runs them independent).
# JOURNAL=on gives each gateway a journal in the scratch dir (the production default); off by
# default.
set -euo pipefail
BIN=${BIN:-target/release/ykc}
NATS=${NATS:-/usr/sbin/nats-server}
PILES=${PILES:-100000}
GWS=${GWS:-6}
PER_SIM=${PER_SIM:-17000}   # piles per sim process (< 20,000 open files each)
RAMP=${RAMP:-40}            # seconds over which the piles connect
DUR=${DUR:-130}             # seconds the piles run: ramp, settling, then a steady minute
JOURNAL=${JOURNAL:-off}
FLEET=${FLEET-'--cluster nats://127.0.0.1:{nats} --node-id gw{i}'}
PROBE=${PROBE:-600}         # piles of the steady-state probe (0 = none)
TICK=$(getconf CLK_TCK)
WORK=$(mktemp -d)
KEEP=${KEEP:-}              # non-empty: keep the scratch dir (logs, sims' JSON) and say where
trap 'kill $(jobs -p) 2>/dev/null || true; sleep 1; if [ -n "$KEEP" ]; then echo "logs in $WORK"; else rm -rf "$WORK"; fi' EXIT
ulimit -n "$(ulimit -Hn)"

rss_kb() { awk '/^VmRSS/ {print $2}' "/proc/$1/status"; }
anon_kb() { awk '/^RssAnon/ {print $2}' "/proc/$1/status"; }
cpu_ticks() { awk '{print $14 + $15}' "/proc/$1/stat"; }

# Ports below the ephemeral range (32768-) with no socket on them (a sim binds any free port,
# and sockets of an earlier run may linger in TIME_WAIT).
free() { [ -z "$(ss -Htan "( sport >= :$1 and sport <= :$(($1 + 10 + 2 * GWS)) )" 2>/dev/null)" ]; }
for _ in $(seq 20); do
  BASE=$((20000 + RANDOM % 8000))
  if free "$BASE"; then break; fi
done
NATS_PORT=$BASE
mkdir -p "$WORK/nats"
"$NATS" -a 127.0.0.1 -p "$NATS_PORT" -js -sd "$WORK/nats" >"$WORK/nats.log" 2>&1 &
NATS_PID=$!

declare -a GW_PID GW_PORT
targets=""
for i in $(seq 0 $((GWS - 1))); do
  port=$((BASE + 10 + 2 * i))
  journal=off
  if [ "$JOURNAL" = on ]; then journal="$WORK/gw$i/journal.db"; fi
  fleet=${FLEET//\{nats\}/$NATS_PORT}
  fleet=${fleet//\{i\}/$i}
  # shellcheck disable=SC2086 # FLEET is a list of flags
  "$BIN" serve -host 127.0.0.1 -tcpPort "$port" -httpPort $((port + 1)) -autoVerification true \
    -autoHeartbeatResponse true -autoBillingModelVerify true --journal "$journal" \
    --max-connections 20000 --max-connections-per-ip 0 --max-prelogin-per-ip 0 $fleet \
    >"$WORK/gw$i.log" 2>&1 &
  GW_PID[i]=$!
  GW_PORT[i]=$port
  targets="$targets${targets:+,}127.0.0.1:$port"
done
sleep 2
for i in $(seq 0 $((GWS - 1))); do
  if ! kill -0 "${GW_PID[i]}" 2>/dev/null; then echo "gateway $i did not start:"; tail -5 "$WORK/gw$i.log"; exit 1; fi
done
declare -a IDLE
for i in $(seq 0 $((GWS - 1))); do IDLE[i]=$(anon_kb "${GW_PID[i]}"); done

# Each sim process: at most PER_SIM piles, its own pile codes, enough source addresses for
# its connections (about 14,000 ephemeral ports per address for a bound socket).
nsims=$(((PILES + PER_SIM - 1) / PER_SIM))
declare -a SIM_PID
left=$PILES
for s in $(seq 0 $((nsims - 1))); do
  n=$((left < PER_SIM ? left : PER_SIM))
  left=$((left - n))
  "$BIN" sim --target "$targets" --piles "$n" --pile-code-base $((32010200000001 + s * 1000000)) \
    --source-addrs $((n / 5000 + 2)) --heartbeat-interval 10s --realtime-interval 15s \
    --ramp "${RAMP}s" --duration "${DUR}s" --progress-interval 10s --json \
    >"$WORK/sim$s.json" 2>"$WORK/sim$s.err" &
  SIM_PID[s]=$!
done
t_start=$(date +%s.%N)

# The login storm: piles online on every gateway (/metrics), sampled each second over the ramp.
online() {
  local total=0 n
  for i in $(seq 0 $((GWS - 1))); do
    n=$(curl -s --max-time 2 "http://127.0.0.1:$((GW_PORT[i] + 1))/metrics" | awk '/^ykc_piles_online / {print $2}')
    total=$((total + ${n:-0}))
  done
  echo "$total"
}
full_at=""
for _ in $(seq 1 $((RAMP + 30))); do
  sleep 1
  n=$(online)
  if [ "$n" -ge "$PILES" ]; then full_at=$(date +%s.%N); break; fi
done
logged_in=$(online)
storm=$(awk -v a="$t_start" -v b="${full_at:-$(date +%s.%N)}" -v n="$logged_in" 'BEGIN { printf "%.0f", n / (b - a) }')

# The steady window: CPU over a minute (or what is left of the run) once everyone is in.
elapsed=$(awk -v a="$t_start" -v b="$(date +%s.%N)" 'BEGIN { printf "%d", b - a }')
w=$((DUR - elapsed - 10))
w=$((w > 60 ? 60 : w))
if [ "$w" -lt 10 ]; then echo "DUR too short for a steady window after the ramp"; w=10; fi
PROBE_PID=""
if [ "$PROBE" -gt 0 ]; then
  "$BIN" sim --target "$targets" --piles "$PROBE" --pile-code-base 32090000000001 --source-addrs 1 \
    --heartbeat-interval 10s --realtime-interval 15s --ramp 5s --duration "$((w + 5))s" \
    --progress-interval 0s --json >"$WORK/probe.json" 2>"$WORK/probe.err" &
  PROBE_PID=$!
  sleep 5  # the probe's own logins are not the steady state's
fi
declare -a T0 T1
for i in $(seq 0 $((GWS - 1))); do T0[i]=$(cpu_ticks "${GW_PID[i]}"); done
sleep "$w"
declare -a RSS ANON
for i in $(seq 0 $((GWS - 1))); do
  T1[i]=$(cpu_ticks "${GW_PID[i]}")
  RSS[i]=$(rss_kb "${GW_PID[i]}")
  ANON[i]=$(anon_kb "${GW_PID[i]}")
done
for s in $(seq 0 $((nsims - 1))); do wait "${SIM_PID[s]}" || true; done
if [ -n "$PROBE_PID" ]; then wait "$PROBE_PID" || true; fi

echo "fleet: $GWS gateways, $PILES piles in $nsims sims, ramp ${RAMP}s, journal $JOURNAL${FLEET:+, fleet flags: $FLEET}"
echo "piles logged in: $logged_in of $PILES (gateways' ykc_piles_online); login storm $storm logins/s"
p99=0
for s in $(seq 0 $((nsims - 1))); do
  f="$WORK/sim$s.json"
  line=$(python3 -c 'import json,sys; d=json.load(open(sys.argv[1])); print(d["logins_ok"], d["reply_latency_p50_ms"], d["reply_latency_p99_ms"], d["reply_latency_max_ms"], json.dumps(d["errors"]))' "$f" 2>/dev/null || echo "? ? ? ? unreadable")
  echo "  sim $s: logins $(echo "$line" | cut -d' ' -f1), reply p50 $(echo "$line" | cut -d' ' -f2) ms, p99 $(echo "$line" | cut -d' ' -f3) ms, max $(echo "$line" | cut -d' ' -f4) ms, errors $(echo "$line" | cut -d' ' -f5-)"
  p99=$(awk -v a="$p99" -v b="$(echo "$line" | cut -d' ' -f3)" 'BEGIN { print (b + 0 > a + 0) ? b : a }')
done
echo "reply p99 (worst sim, whole run with the login storm): $p99 ms"
if [ -n "$PROBE_PID" ]; then
  python3 -c 'import json,sys; d=json.load(open(sys.argv[1])); print("steady-state probe (%d piles, %d replies): p50 %s ms, p99 %s ms, max %s ms, errors %s" % (d["piles"], d["replies"], d["reply_latency_p50_ms"], d["reply_latency_p99_ms"], d["reply_latency_max_ms"], json.dumps(d["errors"])))' "$WORK/probe.json" 2>/dev/null || echo "steady-state probe: no summary"
fi
tot_anon=0
tot_ticks=0
for i in $(seq 0 $((GWS - 1))); do
  d=$((ANON[i] - IDLE[i]))
  tot_anon=$((tot_anon + d))
  tot_ticks=$((tot_ticks + T1[i] - T0[i]))
  awk -v i="$i" -v r="${RSS[i]}" -v a="${ANON[i]}" -v d="$d" -v t=$((T1[i] - T0[i])) -v k="$TICK" -v w="$w" \
    'BEGIN { printf "  gw%d: RSS %.1f MB (anon %.1f MB, +%.1f MB over idle), CPU %.1f s in %d s (%.0f%% of a core)\n", i, r/1024, a/1024, d/1024, t/k, w, 100*t/k/w }'
done
awk -v a="$tot_anon" -v n="$logged_in" -v t="$tot_ticks" -v k="$TICK" -v w="$w" 'BEGIN {
  if (n > 0) {
    printf "memory per pile: %.2f KB (anonymous RSS over idle, all gateways / piles logged in)\n", a / n
    printf "CPU per 10k piles: %.1f%% of a core (steady %d s, all gateways)\n", 100 * t / k / w / (n / 10000), w
  } }'
closes=$(cat "$WORK"/gw*.log | grep -o 'closing: [a-z ]*' | sort | uniq -c | sort -rn | head -5 | awk '{$1=$1; print}' | paste -sd';' -)
echo "gateways closed connections: ${closes:-none}"
kill "$NATS_PID" "${GW_PID[@]}" 2>/dev/null || true
