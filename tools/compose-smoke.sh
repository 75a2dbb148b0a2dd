#!/usr/bin/env bash
# Brings compose.yaml up (Redis, two runner silos, a front-end silo), proves it works end to end, and takes it down:
# a sandbox created through the front end, a command run through silo-1, a preview link made through silo-2 and
# served by all three, a failing create answered as a clean 502, the sandbox deleted. Needs the images:
#   bash tools/build-images.sh silo redis     (and the daemon bundle: dotnet publish src/SandboxGrains.Daemon -c Release)
source "$(dirname "${BASH_SOURCE[0]}")/lib.sh"
cd "$SG_ROOT"
need_packages docker-compose:docker-compose curl:curl python3:python3
export SANDBOXGRAINS_API_KEY="compose-smoke-$(head -c 12 /dev/urandom | od -An -tx1 | tr -d ' \n')"
key="X-API-Key: $SANDBOXGRAINS_API_KEY"
json() { python3 -c "import json,sys; print(json.load(sys.stdin)$1)"; }
cleanup() { docker-compose down -v >/dev/null 2>&1 || true; }
trap cleanup EXIT

say "docker-compose up"
docker-compose up -d >/dev/null 2>&1 || die "docker-compose up failed: $(docker-compose up -d 2>&1 | tail -5)"
for port in 5080 5081 5082; do
  for _ in $(seq 1 120); do curl -sf "http://127.0.0.1:$port/readyz" >/dev/null && break; sleep 0.5; done
  curl -sf "http://127.0.0.1:$port/readyz" >/dev/null || die "the silo on :$port is not ready: $(docker-compose logs --tail 20 2>&1)"
done

id=$(curl -sf -H "$key" -H 'content-type: application/json' -d '{"image":"sandboxgrains/busybox:latest","cpu":0.25,"memoryMb":64}' \
  http://127.0.0.1:5082/api/v1/sandboxes | json '["id"]') || die "create through the front end failed"
ran=$(curl -sf -H "$key" -H 'content-type: application/json' \
  -d '{"command":"mkdir -p /www && echo hello-compose > /www/index.html && httpd -p 8080 -h /www && echo started"}' \
  "http://127.0.0.1:5080/toolbox/$id/process/execute" | json '["result"].strip()')
[ "$ran" = started ] || die "execute through silo-1 answered '$ran'"
url=$(curl -sf -H "$key" -H 'content-type: application/json' -d '{"port":8080}' \
  "http://127.0.0.1:5081/api/v1/sandboxes/$id/previews" | json '["url"]')
token=${url##*/preview/}; token=${token%/}
for port in 5080 5081 5082; do
  got=$(curl -sf "http://127.0.0.1:$port/preview/$token/") || die "the preview through :$port failed"
  [ "$got" = hello-compose ] || die "the preview through :$port answered '$got'"
done
status=$(curl -s -o /dev/null -w '%{http_code}' -H "$key" -H 'content-type: application/json' \
  -d '{"image":"sandboxgrains/busybox:latest","cpu":0.25,"memoryMb":64,"injection":"none","cmd":["/no/such/program"]}' \
  http://127.0.0.1:5082/api/v1/sandboxes)
[ "$status" = 502 ] || die "a create that cannot start answered $status, not 502"
curl -sf -o /dev/null -X DELETE -H "$key" "http://127.0.0.1:5082/api/v1/sandboxes/$id" || die "delete failed"
echo "compose: ok (created via front, executed via silo-1, previewed via all three, bad create 502, deleted)"
