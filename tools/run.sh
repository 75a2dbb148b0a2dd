#!/usr/bin/env bash
# Runs the embedded silo: one silo, localhost clustering, in-memory state, the local Docker engine as its runner.
# Installs and starts Docker's engine when missing (as root), builds what is missing, then prints the URL, the API key,
# a first curl to try and the web dashboard's address. Extra arguments go to the silo, e.g. --urls http://localhost:6080.
source "$(dirname "${BASH_SOURCE[0]}")/lib.sh"
cd "$SG_ROOT"

need_dotnet
ensure_docker
bash tools/build-images.sh busybox base

say "building the silo and the daemon bundle (artifacts/sandboxd)"
dotnet build src/SandboxGrains.Silo -c Release -nologo -v quiet -clp:ErrorsOnly
dotnet publish src/SandboxGrains.Daemon -c Release -nologo -v quiet -clp:ErrorsOnly

url="http://localhost:5080"
args=("$@")
for ((i = 0; i < ${#args[@]}; i++)); do
  case "${args[$i]}" in
    --urls=*) url="${args[$i]#--urls=}" ;;
    --urls) url="${args[$((i + 1))]:-$url}" ;;
  esac
done
url="${url%%;*}"

silo_dll="src/SandboxGrains.Silo/bin/Release/net10.0/SandboxGrains.Silo.dll"
dotnet "$silo_dll" "$@" &
silo=$!
trap 'kill -TERM $silo 2>/dev/null; wait $silo 2>/dev/null' INT TERM

ready=0
for _ in $(seq 1 120); do
  kill -0 $silo 2>/dev/null || break
  if curl -fsS "$url/readyz" >/dev/null 2>&1; then ready=1; break; fi
  sleep 0.5
done
if [ $ready -eq 0 ]; then
  kill -0 $silo 2>/dev/null || { wait $silo; exit $?; }
  say "the silo answers but is not ready yet: curl $url/readyz says why"
fi

key="${SANDBOXGRAINS_API_KEY:-}"
data_dir="${XDG_DATA_HOME:-$HOME/.local/share}/sandboxgrains"
[ -n "$key" ] || [ ! -f "$data_dir/api-key" ] || key="$(cat "$data_dir/api-key")"
cat <<MSG

  SandboxGrains is running at $url
  Dashboard: $url/
  API key: ${key:-(configured in Api:Keys)}

  Try:
    curl -H "Authorization: Bearer ${key:-<your key>}" $url/api/v1/runners
    curl -H "Authorization: Bearer ${key:-<your key>}" -H 'Content-Type: application/json' \
         -d '{"image":"sandboxgrains/base:latest"}' $url/api/v1/sandboxes
    curl -H "Authorization: Bearer ${key:-<your key>}" -H 'Content-Type: application/json' \
         -d '{"command":"python3 -c \"print(6*7)\""}' $url/toolbox/<id from the answer above>/process/execute
    curl -H "Authorization: Bearer ${key:-<your key>}" -H 'Content-Type: application/json' \
         -d '{"command":"nohup python3 -m http.server 8080 >/tmp/web.log 2>&1 &"}' $url/toolbox/<id>/process/execute
    curl -H "Authorization: Bearer ${key:-<your key>}" -H 'Content-Type: application/json' \
         -d '{"port":8080}' $url/api/v1/sandboxes/<id>/previews      # then open its url or hostUrl in a browser

  Stop with Ctrl+C.

MSG
wait $silo
