#!/usr/bin/env bash
# The benchmark of issue 10: generate the shared data set at SCALE, import it
# into a fresh database, check every shape's answer against manifest.json,
# then measure Cartograph (GraphQL and the REST query builder), the
# PostGraphile peer and pgbench on the same PostgreSQL, and print the table.
# Usage: bench/run.sh [SCALE] [runner flags: -duration 15s -runs 3 -conns 16
#        -peer=false -pgbench=false -floor=false -shapes q2-graphql,... -out FILE]
set -euo pipefail
cd "$(dirname "$0")/.."
scale=${1:-1}; shift || true
command -v wrk >/dev/null || { apt-get update -qq && DEBIAN_FRONTEND=noninteractive apt-get install -y -qq wrk >/dev/null; }
command -v pgbench >/dev/null || { apt-get update -qq && DEBIAN_FRONTEND=noninteractive apt-get install -y -qq postgresql-client >/dev/null; }
exec go run ./bench/runner -scale "$scale" "$@"
