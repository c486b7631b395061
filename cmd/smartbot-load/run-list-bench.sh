#!/usr/bin/env bash
# The HTTP list benchmark of docs/PERFORMANCE.md, in one command:
#
#   cmd/smartbot-load/run-list-bench.sh
#
# It builds smartbot and smartbot-load, seeds a temporary data directory
# with 60 audit rows (one per 'smartbot apikey create'), saves one answer of
# GET /api/audit?limit=50 from 'smartbot serve' on 127.0.0.1:$PORT, and
# serves exactly those bytes with 'smartbot-load bare' on 127.0.0.1:$BARE_PORT.
# Then, ROUNDS times, alternating which goes first, it loads each server at
# RATE requests/s and finds the highest rate with p99 under 50 ms, and
# prints the medians with their spread. Only the server being measured
# runs, so an idle one cannot take CPU from the other; everything the
# script starts stops by itself (30 minutes at most) or when it ends.
#
# Settings (environment): ROUNDS (3), PORT (18080), BARE_PORT (18081),
# DURATION (10s per fixed-rate measurement), RATE (1000), PROFILE (a file:
# record a CPU profile of smartbot under load at RATE with perf, when perf
# is installed).
set -euo pipefail
cd "$(dirname "$0")/../.."

rounds=${ROUNDS:-3}
port=${PORT:-18080}
bare_port=${BARE_PORT:-18081}
duration=${DURATION:-10s}
rate=${RATE:-1000}

work=$(mktemp -d)
server="" # the running server's pid (of its timeout), if one runs
cleanup() {
	[ -z "$server" ] || kill "$server" 2>/dev/null || true
	wait 2>/dev/null || true
	rm -rf "$work"
}
trap cleanup EXIT

echo "== build"
go build -o "$work/smartbot" ./cmd/smartbot
go build -o "$work/smartbot-load" ./cmd/smartbot-load
load="$work/smartbot-load"

echo "== seed: 60 audit rows"
data="$work/data"
mkdir -p "$data"
for i in $(seq 1 60); do
	key=$("$work/smartbot" apikey create --data-dir "$data" --name "bench-$i" --role viewer | tail -n 1)
done
auth="Authorization: Bearer $key"
url="http://127.0.0.1:$port/api/audit?limit=50"
bare_url="http://127.0.0.1:$bare_port/api/audit?limit=50"

# start NAME: runs server NAME in the background until stop, and waits
# until it answers.
start() {
	case $1 in
	smartbot)
		timeout 30m "$work/smartbot" serve --data-dir "$data" --addr "127.0.0.1:$port" >>"$work/serve.out" 2>>"$work/serve.log" &
		target=$url ;;
	bare)
		timeout 30m "$load" bare -addr "127.0.0.1:$bare_port" -body "$work/body.json" -lifetime 30m >/dev/null &
		target=$bare_url ;;
	esac
	server=$!
	for _ in $(seq 1 100); do
		"$load" -url "$target" -header "$auth" -save /dev/null 2>/dev/null && return
		sleep 0.1
	done
	echo "$1 did not start; its log:" >&2
	tail "$work/serve.log" >&2
	exit 1
}
stop() {
	kill "$server"
	wait "$server" 2>/dev/null || true
	server=""
}

start smartbot
"$load" -url "$url" -header "$auth" -save "$work/body.json"
stop
echo "answer: $(wc -c <"$work/body.json") bytes"

# measure NAME: one fixed-rate run and one -find-max run of server NAME,
# appended to $work/NAME.fixed and $work/NAME.max.
measure() {
	local name=$1
	start "$name"
	echo "-- $name at $rate/s"
	"$load" -url "$target" -header "$auth" -rate "$rate" -duration "$duration" | tee "$work/last"
	grep '^result ' "$work/last" >>"$work/$name.fixed"
	echo "-- $name: highest rate with p99 < 50ms"
	"$load" -url "$target" -header "$auth" -find-max -duration 5s -warmup 1s | tee "$work/last" | grep -E '^(result|max_rate)'
	grep '^max_rate=' "$work/last" >>"$work/$name.max"
	stop
}

for r in $(seq 1 "$rounds"); do
	echo "== round $r of $rounds"
	if ((r % 2)); then
		measure smartbot
		measure bare
	else
		measure bare
		measure smartbot
	fi
done

if [ -n "${PROFILE:-}" ] && command -v perf >/dev/null; then
	echo "== CPU profile of smartbot at $rate/s into $PROFILE"
	start smartbot
	"$load" -url "$url" -header "$auth" -rate "$rate" -duration "$duration" >/dev/null &
	loader=$!
	sleep 2
	# The server is the child of timeout.
	perf record -F 999 -g -o "$PROFILE" -p "$(pgrep -P "$server")" -- sleep 8 2>/dev/null || true
	wait "$loader" || true
	stop
fi

# field FILE NAME: the values of NAME=value in FILE, one a line.
field() { grep -o "$2=[0-9.]*" "$1" | cut -d= -f2; }
# spread: "median (min–max)" of the numbers on standard input.
spread() {
	sort -g | awk '{v[NR]=$1} END {m = NR%2 ? v[(NR+1)/2] : (v[NR/2]+v[NR/2+1])/2; printf "%.4g (%.4g–%.4g)", m, v[1], v[NR]}'
}
median() { field "$1" "$2" | spread; }
# ratio NAME A B: the per-round ratios of NAME in files A and B.
ratio() { paste <(field "$2" "$1") <(field "$3" "$1") | awk '{print $1/$2}' | spread; }

echo
echo "== summary over $rounds rounds: median (min–max)"
for name in smartbot bare; do
	echo "$name at $rate/s: throughput $(median "$work/$name.fixed" throughput)/s," \
		"p50 $(median "$work/$name.fixed" p50_ms) ms, p99 $(median "$work/$name.fixed" p99_ms) ms," \
		"max $(median "$work/$name.fixed" max_ms) ms"
	echo "$name highest rate with p99 < 50 ms: $(median "$work/$name.max" max_rate)/s"
done
echo "smartbot/bare highest rate, per round: $(ratio max_rate "$work/smartbot.max" "$work/bare.max")"
echo "smartbot/bare p50 at $rate/s, per round: $(ratio p50_ms "$work/smartbot.fixed" "$work/bare.fixed")"
echo "smartbot/bare p99 at $rate/s, per round: $(ratio p99_ms "$work/smartbot.fixed" "$work/bare.fixed")"
