#!/usr/bin/env bash
# The read path against PocketBase, docs/PERFORMANCE.md, in one command:
#
#   cmd/smartbot-load/run-pocketbase-bench.sh
#
# It builds smartbot and smartbot-load, and PocketBase $PB_VERSION from the Go
# module proxy in a scratch module in a temporary directory (a minimal main:
# pocketbase.New().Start(), none of its optional plugins), unless PB_BIN
# names a PocketBase binary built before. Nothing of PocketBase lands in
# this repository.
#
# Both servers listen on 127.0.0.1 only and get the same 60 products:
# Smartbot through POST /api/products with an owner API key made by the CLI;
# PocketBase in a 'products' collection with the same fields, whose list,
# view and create rules require an authenticated user
# (@request.auth.id != ""), through a record of its 'users' collection and
# that user's token. A bare net/http handler (smartbot-load bare) serves
# Smartbot's list answer, byte for byte, as the floor.
#
# Then ROUNDS times, one server at a time, the order turning each round:
#   list    GET /api/products?limit=50 (Bearer API key) against
#           GET /api/collections/products/records?perPage=50&skipTotal=1 (token)
#   get     one product by id
# each at RATE/s for DURATION (p50, p99, server CPU per request from
# /proc/PID/stat utime+stime, RSS), then the highest rate with p99 < 50 ms.
# After the read rounds (so every read sees exactly 60 products), ROUNDS
# rounds of creates: POST /api/products against POST
# /api/collections/products/records, each request with its own SKU, at
# CREATE_RATE/s and then up to the highest rate.
#
# Every server runs under 'timeout' and is stopped when its turn ends or the
# script exits; every load run is bounded by its duration.
#
# Settings (environment): SERVERS (which of "smartbot pocketbase bare" to
# measure; all three unless set: "smartbot bare" skips PocketBase), ROUNDS (3), CREATE_ROUNDS (ROUNDS; 0 skips the
# creates), RATE (1000), CREATE_RATE (200),
# DURATION (5s per fixed-rate run), STEP (3s per -find-max step), PORT
# (18080), BARE_PORT (18081), PB_PORT (18082), PB_BIN, KEEP (a directory to
# copy the raw results to).
set -euo pipefail
cd "$(dirname "$0")/../.."

PB_VERSION=v0.36.8
rounds=${ROUNDS:-3}
create_rounds=${CREATE_ROUNDS:-$rounds}
rate=${RATE:-1000}
create_rate=${CREATE_RATE:-200}
duration=${DURATION:-5s}
step=${STEP:-3s}
sb_port=${PORT:-18080}
bare_port=${BARE_PORT:-18081}
pb_port=${PB_PORT:-18082}
tick=$(getconf CLK_TCK)
servers=${SERVERS:-smartbot pocketbase bare}
# has NAME: whether server NAME is measured in this run.
has() { [[ " $servers " == *" $1 "* ]]; }

work=$(mktemp -d)
server="" # the running server's timeout wrapper, if one runs
cleanup() {
	[ -z "$server" ] || kill "$server" 2>/dev/null || true
	wait 2>/dev/null || true
	[ -z "${KEEP:-}" ] || { mkdir -p "$KEEP" && cp "$work"/*.fixed "$work"/*.max "$KEEP"/ 2>/dev/null || true; }
	rm -rf "$work"
}
trap cleanup EXIT
began=$(date +%s)

echo "== build smartbot and smartbot-load"
CGO_ENABLED=0 go build -o "$work/smartbot" ./cmd/smartbot
go build -o "$work/smartbot-load" ./cmd/smartbot-load
load="$work/smartbot-load"

pb=${PB_BIN:-}
if has pocketbase && [ -z "$pb" ]; then
	echo "== build PocketBase $PB_VERSION in a scratch module (a few minutes the first time)"
	mkdir "$work/pbsrc"
	cat >"$work/pbsrc/main.go" <<'EOF'
// A minimal PocketBase: the framework's own commands, none of the optional
// plugins (jsvm, migratecmd, ghupdate) that its examples/base adds.
package main

import (
	"log"

	"github.com/pocketbase/pocketbase"
)

func main() {
	if err := pocketbase.New().Start(); err != nil {
		log.Fatal(err)
	}
}
EOF
	(
		cd "$work/pbsrc"
		go mod init pbbench >/dev/null 2>&1
		go get "github.com/pocketbase/pocketbase@$PB_VERSION" >/dev/null 2>&1
		CGO_ENABLED=0 go build -o "$work/pocketbase" .
	)
	pb="$work/pocketbase"
fi

# ready URL [HEADER]: waits until URL answers 200.
ready() {
	for _ in $(seq 1 100); do
		[ "$(curl -s -o /dev/null -w '%{http_code}' "$1")" = 200 ] && return
		sleep 0.1
	done
	echo "$1 did not answer" >&2
	exit 1
}

# start NAME: runs server NAME in the background until stop; sets pid to
# the server's own process id (the child of timeout).
start() {
	case $1 in
	smartbot)
		timeout 60m "$work/smartbot" serve --data-dir "$work/sbdata" --addr "127.0.0.1:$sb_port" >>"$work/smartbot.out" 2>>"$work/smartbot.log" &
		server=$!
		ready "http://127.0.0.1:$sb_port/healthz" ;;
	pocketbase)
		timeout 60m "$pb" serve --http "127.0.0.1:$pb_port" --dir "$work/pbdata" >>"$work/pocketbase.log" 2>&1 &
		server=$!
		ready "http://127.0.0.1:$pb_port/api/health" ;;
	bare)
		timeout 60m "$load" bare -addr "127.0.0.1:$bare_port" -body "$work/list.json" -lifetime 60m >/dev/null &
		server=$!
		ready "http://127.0.0.1:$bare_port/" ;;
	esac
	pid=$(pgrep -P "$server")
}
stop() {
	kill "$server"
	wait "$server" 2>/dev/null || true
	server=""
}

# api NAME METHOD PATH [BODY]: one request to a server, answer on stdout.
api() {
	local url auth
	case $1 in
	smartbot) url="http://127.0.0.1:$sb_port$3" auth="Authorization: Bearer $sb_key" ;;
	pocketbase) url="http://127.0.0.1:$pb_port$3" auth="Authorization: ${pb_token:-}" ;;
	esac
	curl -sf -X "$2" "$url" -H "$auth" -H 'Content-Type: application/json' ${4:+-d "$4"}
}

# product N: the N-th of the 60 products, as JSON.
product() {
	printf '{"sku":"SKU-%03d","name":"Rooibos tea %d","description":"Loose-leaf rooibos from the Cederberg, 100 g","category":"tea","price":%d,"currency":"ZAR","active":true}' "$1" "$1" "$((1000 + $1))"
}

echo "== seed Smartbot: 60 products"
sb_key=$("$work/smartbot" apikey create --data-dir "$work/sbdata" --name bench --role owner | tail -n 1)
start smartbot
for i in $(seq 1 60); do api smartbot POST /api/products "$(product "$i")" >/dev/null; done
sb_id=$(api smartbot GET '/api/products?limit=1' | jq -r '.data[0].id')
"$load" -url "http://127.0.0.1:$sb_port/api/products?limit=50" -header "Authorization: Bearer $sb_key" -save "$work/list.json"
echo "smartbot list answer: $(wc -c <"$work/list.json") bytes, $(jq '.data | length' "$work/list.json") products"
stop

if has pocketbase; then
echo "== seed PocketBase: superuser, products collection, a user, 60 products"
pb_pass=$(head -c 18 /dev/urandom | base64 | tr -d '/+=')
"$pb" superuser upsert bench@example.com "$pb_pass" --dir "$work/pbdata" >/dev/null
start pocketbase
pb_token=$(api pocketbase POST /api/collections/_superusers/auth-with-password \
	"{\"identity\":\"bench@example.com\",\"password\":\"$pb_pass\"}" | jq -r .token)
rule='@request.auth.id != \"\"'
api pocketbase POST /api/collections "{\"name\":\"products\",\"type\":\"base\",
	\"listRule\":\"$rule\",\"viewRule\":\"$rule\",\"createRule\":\"$rule\",
	\"fields\":[{\"name\":\"sku\",\"type\":\"text\"},{\"name\":\"name\",\"type\":\"text\",\"required\":true},
		{\"name\":\"description\",\"type\":\"text\"},{\"name\":\"category\",\"type\":\"text\"},
		{\"name\":\"price\",\"type\":\"number\",\"onlyInt\":true},{\"name\":\"currency\",\"type\":\"text\"},
		{\"name\":\"stock\",\"type\":\"number\",\"onlyInt\":true},{\"name\":\"active\",\"type\":\"bool\"},
		{\"name\":\"created\",\"type\":\"autodate\",\"onCreate\":true},
		{\"name\":\"updated\",\"type\":\"autodate\",\"onCreate\":true,\"onUpdate\":true}],
	\"indexes\":[\"CREATE UNIQUE INDEX idx_products_sku ON products (sku) WHERE sku != ''\"]}" >/dev/null
api pocketbase POST /api/collections/users/records \
	"{\"email\":\"shop@example.com\",\"password\":\"$pb_pass\",\"passwordConfirm\":\"$pb_pass\"}" >/dev/null
pb_token=$(api pocketbase POST /api/collections/users/auth-with-password \
	"{\"identity\":\"shop@example.com\",\"password\":\"$pb_pass\"}" | jq -r .token)
for i in $(seq 1 60); do api pocketbase POST /api/collections/products/records "$(product "$i")" >/dev/null; done
pb_id=$(api pocketbase GET '/api/collections/products/records?perPage=1&skipTotal=1' | jq -r '.items[0].id')
echo "pocketbase list answer: $(api pocketbase GET '/api/collections/products/records?perPage=50&skipTotal=1' | wc -c) bytes"
stop
fi

# target NAME KIND: sets url, hdr, method and body of a request kind.
target() {
	method=GET body=""
	case $1 in
	smartbot)
		hdr="Authorization: Bearer $sb_key"
		case $2 in
		list) url="http://127.0.0.1:$sb_port/api/products?limit=50" ;;
		get) url="http://127.0.0.1:$sb_port/api/products/$sb_id" ;;
		create) url="http://127.0.0.1:$sb_port/api/products" method=POST ;;
		esac ;;
	pocketbase)
		hdr="Authorization: $pb_token"
		case $2 in
		list) url="http://127.0.0.1:$pb_port/api/collections/products/records?perPage=50&skipTotal=1" ;;
		get) url="http://127.0.0.1:$pb_port/api/collections/products/records/$pb_id" ;;
		create) url="http://127.0.0.1:$pb_port/api/collections/products/records" method=POST ;;
		esac ;;
	bare) hdr="Authorization: none" url="http://127.0.0.1:$bare_port/api/products?limit=50" ;;
	esac
	if [ "$2" = create ]; then
		body='{"sku":"B-{{n}}","name":"Bench tea {{n}}","description":"Loose-leaf rooibos, 100 g","category":"tea","price":1250,"currency":"ZAR","active":true}'
	fi
}

cpu() { awk '{print $14 + $15}' "/proc/$pid/stat"; }
rss() { awk '/^VmRSS/ {printf "%.1f", $2 / 1024}' "/proc/$pid/status"; }

# fixed NAME KIND RATE: one run at RATE/s; appends p50, p99, CPU per
# request and RSS to $work/NAME.KIND.fixed.
fixed() {
	target "$1" "$2"
	local before after n
	before=$(cpu)
	"$load" -url "$url" -method "$method" ${body:+-body "$body"} -header "$hdr" -rate "$3" -duration "$duration" -warmup 1s >"$work/last"
	after=$(cpu)
	n=$(awk -v r="$3" -v d="${duration%s}" 'BEGIN {print r * (d + 1)}')
	local line
	line=$(grep '^result ' "$work/last")
	echo "-- $1 $2 at $3/s: ${line#result } cpu_ms=$(awk -v t="$((after - before))" -v k="$tick" -v n="$n" 'BEGIN {printf "%.4f", t * 1000 / k / n}') rss_mb=$(rss)" |
		tee -a "$work/$1.$2.fixed"
}

# max NAME KIND: the highest rate with p99 < 50 ms; appended to $work/NAME.KIND.max.
max() {
	target "$1" "$2"
	"$load" -url "$url" -method "$method" ${body:+-body "$body"} -header "$hdr" -find-max -duration "$step" -warmup 1s >"$work/last"
	echo "-- $1 $2: $(grep '^max_rate=' "$work/last")" | tee -a "$work/$1.$2.max"
}

# reads NAME: one round of read measurements of server NAME.
reads() {
	start "$1"
	echo "-- $1 idle: rss_mb=$(rss)" | tee -a "$work/$1.idle"
	fixed "$1" list "$rate"
	max "$1" list
	if [ "$1" != bare ]; then
		fixed "$1" get "$rate"
		max "$1" get
	fi
	stop
}
creates() {
	start "$1"
	fixed "$1" create "$create_rate"
	max "$1" create
	stop
}

for r in $(seq 1 "$rounds"); do
	echo "== read round $r of $rounds"
	case $((r % 3)) in
	1) order="smartbot pocketbase bare" ;;
	2) order="pocketbase bare smartbot" ;;
	0) order="bare smartbot pocketbase" ;;
	esac
	for name in $order; do
		if has "$name"; then reads "$name"; fi
	done
done
for r in $(seq 1 "$create_rounds"); do
	echo "== create round $r of $create_rounds"
	if ! has pocketbase; then
		creates smartbot
	elif ((r % 2)); then creates smartbot; creates pocketbase; else creates pocketbase; creates smartbot; fi
done

# field FILE NAME: the values of NAME=value in FILE, one a line.
field() { grep -o "$2=[0-9.]*" "$1" | cut -d= -f2; }
# spread: "median (min–max)" of the numbers on standard input.
spread() {
	sort -g | awk '{v[NR]=$1} END {m = NR%2 ? v[(NR+1)/2] : (v[NR/2]+v[NR/2+1])/2; printf "%.5g (%.5g–%.5g)", m, v[1], v[NR]}'
}
median() { field "$1" "$2" | spread; }
# ratio NAME A B: the per-round ratios of NAME in files A and B.
ratio() { paste <(field "$2" "$1") <(field "$3" "$1") | awk '{print $1/$2}' | spread; }

echo
echo "== summary over $rounds rounds: median (min–max); $(date -u +%F), $(($(date +%s) - began)) s"
for kind in list get create; do
	for name in smartbot pocketbase bare; do
		f="$work/$name.$kind"
		[ -f "$f.fixed" ] || continue
		echo "$name $kind at $(field "$f.fixed" rate | head -n 1)/s: p50 $(median "$f.fixed" p50_ms) ms, p99 $(median "$f.fixed" p99_ms) ms," \
			"CPU $(median "$f.fixed" cpu_ms) ms/request, RSS $(median "$f.fixed" rss_mb) MB; highest rate with p99 < 50 ms: $(median "$f.max" max_rate)/s"
	done
	[ -f "$work/smartbot.$kind.fixed" ] && [ -f "$work/pocketbase.$kind.fixed" ] || continue
	echo "smartbot/pocketbase $kind, per round: highest rate $(ratio max_rate "$work/smartbot.$kind.max" "$work/pocketbase.$kind.max")," \
		"CPU per request $(ratio cpu_ms "$work/smartbot.$kind.fixed" "$work/pocketbase.$kind.fixed")," \
		"p99 $(ratio p99_ms "$work/smartbot.$kind.fixed" "$work/pocketbase.$kind.fixed")"
done
if [ -f "$work/smartbot.list.fixed" ] && [ -f "$work/bare.list.fixed" ]; then
	echo "smartbot/bare list, per round: highest rate $(ratio max_rate "$work/smartbot.list.max" "$work/bare.list.max")," \
		"CPU per request $(ratio cpu_ms "$work/smartbot.list.fixed" "$work/bare.list.fixed")"
fi
for name in smartbot pocketbase bare; do
	[ ! -f "$work/$name.idle" ] || echo "$name idle RSS after start: $(median "$work/$name.idle" rss_mb) MB"
done
