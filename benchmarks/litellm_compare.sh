#!/usr/bin/env bash
# Gouvernail's gateway against LiteLLM with ../shared/bench, in one run, same mock upstream.
#
#   benchmarks/litellm_compare.sh                      # LiteLLM, then full, fast and off
#   BENCH_ROUNDS=1 BENCH_DURATION=5 benchmarks/litellm_compare.sh     # a quick check
#   benchmarks/litellm_compare.sh extra='COMMAND'      # more targets, as the kit takes them
#
# Runs the kit from a temporary copy in which wrk/chat.lua is our benchmarks/wrk/chat_varied.lua:
# the same request shape and size, but every prompt differs (names and figures drawn per
# request), so that no cache on the path answers it; every target gets the same script.
# Needs once per machine: apt-get install -y nginx-light wrk curl; ../shared/bench/peers/litellm_setup.sh
# Knobs: the kit's (BENCH_ROUNDS, BENCH_DURATION, BENCH_CONNS, BENCH_MODES, ...), and
# GOUVERNAIL_TARGETS (default "full fast off"), BENCH_WORKERS for our server processes.
set -euo pipefail

HERE=$(cd "$(dirname "$0")" && pwd)
ROOT=$(dirname "$HERE")
KIT=${BENCH_KIT:-$ROOT/../shared/bench}
[ -x "$KIT/gateway_overhead.sh" ] || { echo "no benchmark kit in $KIT (set BENCH_KIT)" >&2; exit 1; }
[ -x "$ROOT/.venv/bin/python" ] || { echo "no .venv: run make test or make serve once" >&2; exit 1; }

WORK=$(mktemp -d /tmp/gouvernail-bench-kit.XXXXXX)
trap 'rm -rf "$WORK"' EXIT
cp -r "$KIT"/. "$WORK"/
chmod -R u+w "$WORK"
cp "$HERE/wrk/chat_varied.lua" "$WORK/wrk/chat.lua"

SERVER="$ROOT/.venv/bin/python $HERE/gateway_server.py"
targets=(litellm='peers/litellm_start.sh $BENCH_PORT')
for mode in ${GOUVERNAIL_TARGETS:-full fast off}; do
  targets+=("gouvernail-$mode=GOUVERNAIL_GATEWAY__INSPECTION=$mode $SERVER")
done
cd "$WORK"
./gateway_overhead.sh "${targets[@]}" "$@"
