#!/usr/bin/env bash
# Shared helpers for the run and test scripts: install what is missing from Debian's packages, start dockerd and a
# private Redis. Sourced, never run on its own.
set -euo pipefail

SG_ROOT="$(cd "$(dirname "${BASH_SOURCE[0]}")/.." && pwd)"
SG_STATE="${SANDBOXGRAINS_STATE_DIR:-${XDG_CACHE_HOME:-$HOME/.cache}/sandboxgrains}"
mkdir -p "$SG_STATE"

say() { printf '\033[1m==>\033[0m %s\n' "$*" >&2; }
die() { printf 'error: %s\n' "$*" >&2; exit 1; }

# Installs Debian packages whose commands are missing. Usage: need_packages cmd:package ...
need_packages() {
  local missing=() pair
  for pair in "$@"; do
    command -v "${pair%%:*}" >/dev/null 2>&1 || missing+=("${pair#*:}")
  done
  [ ${#missing[@]} -eq 0 ] && return 0
  [ "$(id -u)" -eq 0 ] || die "missing ${missing[*]}; install them (apt-get install ${missing[*]}) or run as root"
  say "installing ${missing[*]} from Debian's packages"
  if [ ! -f "$SG_STATE/apt-updated" ] || [ -n "$(find "$SG_STATE/apt-updated" -mmin +720 2>/dev/null)" ]; then
    apt-get update -qq >/dev/null
    touch "$SG_STATE/apt-updated"
  fi
  DEBIAN_FRONTEND=noninteractive apt-get install -y -qq --no-install-recommends "${missing[@]}" >/dev/null
}

docker_ok() { timeout 5 docker info >/dev/null 2>&1; }

# Makes sure a Docker engine answers. Starts Debian's dockerd when we are root and none runs; an earlier run may have
# left a stale pid file or socket behind, which dockerd refuses to start over.
ensure_docker() {
  need_packages dockerd:docker.io docker:docker.io
  docker_ok && return 0
  if [ -n "${DOCKER_HOST:-}" ]; then die "cannot reach Docker at $DOCKER_HOST"; fi
  [ "$(id -u)" -eq 0 ] || die "Docker is not running and we are not root: start dockerd, or run as root"
  local pidfile=/var/run/docker.pid
  if [ -f "$pidfile" ] && ! kill -0 "$(cat "$pidfile")" 2>/dev/null; then rm -f "$pidfile"; fi
  if ! pgrep -x dockerd >/dev/null 2>&1; then
    rm -f /var/run/docker.sock
    say "starting dockerd (log: $SG_STATE/dockerd.log)"
    nohup dockerd >"$SG_STATE/dockerd.log" 2>&1 &
  fi
  local i
  for i in $(seq 1 60); do docker_ok && return 0; sleep 0.5; done
  tail -n 20 "$SG_STATE/dockerd.log" >&2 || true
  die "dockerd did not come up within 30 s"
}

# Starts a throwaway Redis on a private loopback port with persistence off, unless one already answers there.
# Prints nothing; sets SG_REDIS_PORT.
ensure_redis() {
  need_packages redis-server:redis-server redis-cli:redis-tools
  SG_REDIS_PORT="${SANDBOXGRAINS_TEST_REDIS_PORT:-6390}"
  if redis-cli -p "$SG_REDIS_PORT" ping >/dev/null 2>&1; then return 0; fi
  say "starting redis-server on 127.0.0.1:$SG_REDIS_PORT (persistence off)"
  redis-server --bind 127.0.0.1 --port "$SG_REDIS_PORT" --save '' --appendonly no \
    --dir "$SG_STATE" --daemonize yes --logfile "$SG_STATE/redis-$SG_REDIS_PORT.log" \
    --pidfile "$SG_STATE/redis-$SG_REDIS_PORT.pid" >/dev/null
  local i
  for i in $(seq 1 40); do redis-cli -p "$SG_REDIS_PORT" ping >/dev/null 2>&1 && return 0; sleep 0.25; done
  die "redis-server did not answer on 127.0.0.1:$SG_REDIS_PORT"
}

# Debian's Chromium and the npm packages of the script that drives it (tests/browser), for the browser tests.
ensure_browser() {
  need_packages chromium:chromium node:nodejs npm:npm
  local dir="$SG_ROOT/tests/browser"
  if [ ! -d "$dir/node_modules/playwright-core" ] || [ "$dir/package-lock.json" -nt "$dir/node_modules" ]; then
    say "installing the browser driver's npm packages (tests/browser)"
    (cd "$dir" && npm ci --no-audit --no-fund --loglevel=error >/dev/null)
  fi
}

# Node and the pinned Daytona SDK (tests/daytona-sdk, from its lock file), for the tests that drive a silo with it.
ensure_daytona_sdk() {
  need_packages node:nodejs npm:npm
  local dir="$SG_ROOT/tests/daytona-sdk"
  if [ ! -d "$dir/node_modules/@daytonaio/sdk" ] || [ "$dir/package-lock.json" -nt "$dir/node_modules" ]; then
    say "installing Daytona's SDK from its lock file (tests/daytona-sdk)"
    (cd "$dir" && npm ci --no-audit --no-fund --loglevel=error >/dev/null)
  fi
}

# Debian's Docker distribution registry and htpasswd, for the tests that pull from a real registry (each test starts
# its own on a free loopback port; Docker trusts 127.0.0.0/8 registries without TLS).
ensure_registry_tools() {
  need_packages docker-registry:docker-registry htpasswd:apache2-utils
}

need_dotnet() {
  command -v dotnet >/dev/null 2>&1 || die "the .NET SDK 10 is needed (dotnet on PATH); see https://dot.net"
}
