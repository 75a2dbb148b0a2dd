#!/usr/bin/env bash
# Runs every test against real services: installs and starts Docker's engine and a private Redis when missing, installs
# Debian's Chromium and the browser driver, Debian's docker-registry and pytest, builds the sandbox images, builds the
# solution, runs all test projects, then the Python client's tests.
# Last line: "tests: N passed, N failed, N skipped".
# Usage: tools/test.sh [extra dotnet test arguments, e.g. --filter-class '*Docker*']
source "$(dirname "${BASH_SOURCE[0]}")/lib.sh"
cd "$SG_ROOT"

need_dotnet
ensure_docker
ensure_redis
ensure_browser
ensure_registry_tools
need_packages pytest-3:python3-pytest
ensure_daytona_sdk
export SANDBOXGRAINS_TEST_REDIS="127.0.0.1:$SG_REDIS_PORT"
bash tools/build-images.sh busybox base dev musl distroless

say "building the solution and the daemon bundle (artifacts/sandboxd)"
dotnet build SandboxGrains.sln -c Debug -nologo -v quiet -clp:ErrorsOnly
dotnet publish src/SandboxGrains.Daemon -c Release -nologo -v quiet -clp:ErrorsOnly
bash tools/build-images.sh with-daemon # from the bundle just published

log="$SG_STATE/test-$(date +%Y%m%d-%H%M%S).log"
say "running every test (log: $log)"
set +e
dotnet test --solution SandboxGrains.sln --no-build -c Debug "$@" 2>&1 | tee "$log"
status=${PIPESTATUS[0]}
set -e

# The platform prints one summary for the whole run; turn it into the plain line CI reads.
summary=$(sed 's/\x1b\[[0-9;]*m//g' "$log" | awk '
  /^Test run summary/ { inside = 1; next }
  inside && $1 == "failed:" { failed = $2 }
  inside && $1 == "succeeded:" { passed = $2 }
  inside && $1 == "skipped:" { skipped = $2 }
  END { if (passed != "") printf "%d %d %d", passed, failed, skipped }')
if [ -z "$summary" ]; then
  echo "tests: 0 passed, 1 failed, 0 skipped (no test summary found; exit code $status)"
  exit 1
fi
read -r passed failed skipped <<<"$summary"
if [ "$status" -ne 0 ] && [ "$failed" -eq 0 ]; then failed=1; fi

if [ $# -eq 0 ]; then
  say "running Daytona's SDK against a silo (tests/daytona-sdk)"
  set +e
  bash tools/test-daytona-sdk.sh 2>&1 | tee "$log.daytona-sdk"
  sdk_status=${PIPESTATUS[0]}
  set -e
  sdk=$(sed -n 's/^daytona-sdk tests: \([0-9]*\) passed, \([0-9]*\) failed, \([0-9]*\) skipped.*/\1 \2 \3/p' "$log.daytona-sdk" | tail -n 1)
  read -r sdk_passed sdk_failed sdk_skipped <<<"${sdk:-0 1 0}"
  if [ "$sdk_status" -ne 0 ] && [ "$sdk_failed" -eq 0 ]; then sdk_failed=1; fi
  passed=$((passed + sdk_passed)); failed=$((failed + sdk_failed)); skipped=$((skipped + sdk_skipped))
  if [ "$sdk_failed" -ne 0 ]; then status=1; fi
fi

if [ $# -eq 0 ]; then
  # The Python client's tests (clients/python), against a silo they start from the build above; counted with the rest.
  say "running the Python client's tests (clients/python)"
  set +e
  python_log="$SG_STATE/test-python-$(date +%Y%m%d-%H%M%S).log"
  (cd clients/python && pytest-3 -q -p no:cacheprovider 2>&1) | tee "$python_log"
  python_status=${PIPESTATUS[0]}
  set -e
  python_summary=$(tail -n 1 "$python_log")
  count() { grep -oE "[0-9]+ $1" <<<"$python_summary" | grep -oE '^[0-9]+' || echo 0; }
  py_passed=$(count passed); py_failed=$(( $(count failed) + $(count error) )); py_skipped=$(count skipped)
  if [ "$python_status" -ne 0 ] && [ "$py_failed" -eq 0 ]; then py_failed=1; fi
  passed=$((passed + py_passed)); failed=$((failed + py_failed)); skipped=$((skipped + py_skipped))
  if [ "$py_failed" -ne 0 ]; then status=1; fi
fi

echo "tests: $passed passed, $failed failed, $skipped skipped"
[ "$status" -eq 0 ] && [ "$failed" -eq 0 ]
