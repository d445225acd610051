#!/usr/bin/env bash
# Bounded load test (issue 11): wrk with 16 connections for DURATION (default
# 60s) against a fresh server on loopback, mixed reads and writes across
# GraphQL, the Configure8 and the Configmonkey REST APIs (bench/load.lua).
# Fails on any non-2xx answer, any socket error or any 5xx in the log.
set -euo pipefail
cd "$(dirname "$0")/.."
DURATION=${DURATION:-60s}
command -v wrk >/dev/null || { apt-get update -qq && apt-get install -y -qq wrk >/dev/null; }

work=$(mktemp -d /tmp/cartograph-load-XXXX)
chmod 755 "$work"
free_port() { python3 -c 'import socket; s=socket.socket(); s.bind(("127.0.0.1",0)); print(s.getsockname()[1])'; }
export CARTOGRAPH_PGDATA=$work/pg CARTOGRAPH_PGPORT=$(free_port) PORT=$(free_port)
unset DATABASE_URL
go build -o "$work/cartograph" .
"$work/cartograph" 2>"$work/server.log" &
pid=$!
cleanup() { kill "$pid" 2>/dev/null || true; wait "$pid" 2>/dev/null || true; cp "$work/server.log" /tmp/cartograph-load-server.log 2>/dev/null || true; "$work/cartograph" pg stop >/dev/null 2>&1 || true; rm -rf "$work"; }
trap cleanup EXIT
for _ in $(seq 100); do grep -q 'msg=ready' "$work/server.log" && break; sleep 0.2; done
KEY=$(grep -o 'c8ak_[0-9A-Za-z]\{40\}' "$work/server.log" | head -1)
base=http://127.0.0.1:$PORT
api() { curl -sf -X "$1" "$base$2" -H "Api-Key: $KEY" -H 'Content-Type: application/json' ${3:+-d "$3"}; }
id() { python3 -c 'import json,sys; print(json.load(sys.stdin)["id"])'; }

# A small catalog: 20 services, each with a prod environment holding two resources.
api POST /v1/domains '{"slug":"load"}' >/dev/null
api POST /v1/configs/load '{"key":"value"}' >/dev/null
for i in $(seq -w 1 20); do
  s=$(api POST /public/v1/catalog/entities/service "{\"name\":\"svc-$i\",\"metaTags\":[{\"name\":\"tier\",\"value\":\"$((10#$i % 3 + 1))\",\"type\":\"Text\"}]}" | id)
  e=$(api POST /public/v1/catalog/entities/environment "{\"name\":\"svc-$i-prod\"}" | id)
  api POST /public/v1/catalog/relations "{\"sourceEntityId\":\"$s\",\"targetEntityId\":\"$e\",\"label\":\"has_environment\"}" >/dev/null
  for p in AWS GCP; do
    r=$(api POST /public/v1/catalog/entities/resource "{\"name\":\"r-$i-$p\",\"provider\":\"$p\",\"providerResourceKey\":\"r-$i-$p\",\"providerResourceType\":\"t\",\"parents\":[{\"id\":\"$e\",\"label\":\"contains\"}]}" | id)
  done
done
export KEY RESOURCE_ID=$r
# Statistics for the freshly seeded tables, as autovacuum would gather within
# a minute; without them the planner guesses, and the query builder's plan
# goes from milliseconds to seconds.
psql -q "postgres://postgres@127.0.0.1:$CARTOGRAPH_PGPORT/cartograph?sslmode=disable" -c ANALYZE

out=$(wrk -t2 -c16 -d"$DURATION" --latency -s bench/load.lua "$base")
echo "$out"
rss=$(ps -o rss= -p "$pid")
echo "server RSS after the run: $((rss / 1024)) MiB"
fail=0
echo "$out" | grep -q 'Socket errors' && { echo "FAIL: socket errors"; fail=1; }
echo "$out" | grep -q 'Non-2xx or 3xx responses' && { echo "FAIL: non-2xx answers"; fail=1; }
grep -q 'status=5' "$work/server.log" && { echo "FAIL: 5xx in the server log"; fail=1; }
exit $fail
