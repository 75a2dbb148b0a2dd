#!/usr/bin/env bash
# Runs Daytona's own TypeScript SDK (tests/daytona-sdk, pinned by its lock file) against a silo of its own: starts the
# built silo (Debug) on free ports with a fresh key and runner id, runs `node --test` there, stops the silo and removes
# what it left. Needs the silo built and the daemon bundle published (tools/test.sh does both first).
# Last line: "daytona-sdk tests: N passed, N failed, N skipped" (todo tests count as skipped).
# Usage: tools/test-daytona-sdk.sh [node --test arguments, e.g. lifecycle.test.mjs]
source "$(dirname "${BASH_SOURCE[0]}")/lib.sh"
cd "$SG_ROOT"

ensure_docker
ensure_daytona_sdk
# The images the tests create sandboxes from (each built only when missing).
bash "$SG_ROOT/tools/build-images.sh" busybox dev
silo_dll="$SG_ROOT/src/SandboxGrains.Silo/bin/Debug/net10.0/SandboxGrains.Silo.dll"
[ -f "$silo_dll" ] || die "build the silo first: dotnet build src/SandboxGrains.Silo -c Debug"
[ -x "$SG_ROOT/artifacts/sandboxd/sandboxd" ] || die "publish the daemon first: dotnet publish src/SandboxGrains.Daemon -c Release"

free_port() {
  local port
  while :; do
    port=$((20000 + RANDOM % 20000))
    (exec 3<>"/dev/tcp/127.0.0.1/$port") 2>/dev/null || { echo "$port"; return; }
  done
}

http_port=$(free_port)
runner="daytona-sdk-$$"
data_dir=$(mktemp -d)
log="$SG_STATE/daytona-sdk-$(date +%Y%m%d-%H%M%S)"
export SANDBOXGRAINS_URL="http://127.0.0.1:$http_port"
SANDBOXGRAINS_API_KEY="sg_daytona_$(head -c 16 /dev/urandom | od -An -tx1 | tr -d ' \n')"
export SANDBOXGRAINS_API_KEY

# The tests keep a dozen idle 1-CPU sandboxes at once; a 2-core machine's default allocation (4x) would refuse some.
say "starting a silo for the Daytona SDK at $SANDBOXGRAINS_URL (log: $log.silo.log)"
(cd "$(dirname "$silo_dll")" && exec dotnet "$silo_dll" --urls="$SANDBOXGRAINS_URL" --Silo:DataDirectory="$data_dir" \
  --Runner:Id="$runner" --Runner:CpuOvercommit=16 --Orleans:Endpoints:SiloPort="$(free_port)" --Orleans:Endpoints:GatewayPort="$(free_port)") \
  >"$log.silo.log" 2>&1 &
silo=$!
cleanup() {
  kill -TERM "$silo" 2>/dev/null && wait "$silo" 2>/dev/null || true
  docker ps -aq --filter "label=sandboxgrains.runner-id=$runner" | xargs -r docker rm -f >/dev/null 2>&1 || true
  rm -rf "$data_dir"
}
trap cleanup EXIT

for _ in $(seq 1 120); do
  kill -0 "$silo" 2>/dev/null || { tail -n 30 "$log.silo.log" >&2; die "the silo exited before it was ready"; }
  curl -fsS "$SANDBOXGRAINS_URL/readyz" >/dev/null 2>&1 && break
  sleep 0.5
done

say "running the Daytona SDK's tests (TAP: $log.tap)"
set +e
(cd tests/daytona-sdk && node --test --test-reporter=spec --test-reporter-destination=stdout \
  --test-reporter=tap --test-reporter-destination="$log.tap" "$@")
status=$?
set -e

# Node's TAP reporter ends with "# pass N", "# fail N", "# skipped N", "# todo N", "# cancelled N".
count() { sed -n "s/^# $1 \([0-9]*\)$/\1/p" "$log.tap" | tail -n 1; }
passed=$(count pass); failed=$(count fail); cancelled=$(count cancelled); skipped=$(count skipped); todo=$(count todo)
if [ -z "$passed" ]; then
  echo "daytona-sdk tests: 0 passed, 1 failed, 0 skipped (no TAP summary; exit code $status)"
  exit 1
fi
failed=$((failed + ${cancelled:-0}))
if [ "$status" -ne 0 ] && [ "$failed" -eq 0 ]; then failed=1; fi
echo "daytona-sdk tests: $passed passed, $failed failed, $((${skipped:-0} + ${todo:-0})) skipped"
[ "$status" -eq 0 ] && [ "$failed" -eq 0 ]
