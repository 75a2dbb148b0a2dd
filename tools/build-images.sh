#!/usr/bin/env bash
# Builds the sandbox images without a registry, each only when missing:
#   sandboxgrains/busybox:latest  busybox-static root filesystem, seconds to build
#   sandboxgrains/base:latest     Debian bookworm minbase + python3, ca-certificates, procps (debootstrap; the rootfs
#                                 tarball is cached so a rebuild is a docker import away)
#   sandboxgrains/bench:latest    base + nginx-light, the fast in-sandbox app of the benchmarks (bench/ only)
#   sandboxgrains/dev:latest      base + git and Node.js, what Daytona's toolbox expects of an image (git, codeRun in
#                                 JavaScript); the Daytona SDK tests run on it
#   sandboxgrains/musl:latest     Alpine's shape: busybox with musl as the only libc and a program linked against it
#   sandboxgrains/distroless:latest  distroless's shape: users, groups, /tmp and one static program; no shell, no libc
#   sandboxgrains/silo:latest     the silo itself, self-contained, on the base image (deploy/silo.Dockerfile; compose.yaml)
#   sandboxgrains/redis:latest    base + Debian's redis-server (deploy/redis.Dockerfile; compose.yaml)
#   sandboxgrains/with-daemon:latest  busybox with the sandboxd bundle already at /opt/sandboxgrains (Daemon:ImageDaemonPath):
#                                 an image for injection none, seed 002's `direct`; needs artifacts/sandboxd
# Usage: tools/build-images.sh [--force] [busybox|base|bench|dev|musl|distroless|silo|redis|with-daemon ...] (default: busybox base)
source "$(dirname "${BASH_SOURCE[0]}")/lib.sh"

force=0
wanted=()
for arg in "$@"; do
  case "$arg" in
    --force) force=1 ;;
    busybox|base|bench|dev|musl|distroless|silo|redis|with-daemon) wanted+=("${arg//-/_}") ;;
    *) die "unknown argument $arg (expected --force, busybox, base, bench, dev, musl, distroless, silo, redis, with-daemon)" ;;
  esac
done
[ ${#wanted[@]} -gt 0 ] || wanted=(busybox base)

ensure_docker

image_exists() { docker image inspect "$1" >/dev/null 2>&1; }

# Prints the path of a statically linked busybox (Debian's busybox-static).
static_busybox() {
  need_packages busybox:busybox-static
  local bb
  bb="$(command -v busybox)"
  file -L "$bb" 2>/dev/null | grep -q 'statically linked' || bb=/bin/busybox
  echo "$bb"
}

# Imports the root filesystem in $1 as image $2, described as $3; each further argument is one `docker import --change`.
import_rootfs() {
  local root="$1" image="$2" message="$3" change
  shift 3
  local changes=()
  for change in "$@"; do changes+=(--change "$change"); done
  say "building $image"
  tar -C "$root" -c . | docker import "${changes[@]}" --message "$message" - "$image" >/dev/null
}

# Fills $1 with a busybox root filesystem: the static binary, one link per applet, root and nobody.
busybox_rootfs() {
  local root="$1" bb
  bb="$(static_busybox)"
  mkdir -p "$root"/{bin,sbin,usr/bin,usr/sbin,tmp,root,etc,proc,sys,dev,home}
  chmod 1777 "$root/tmp"
  cp "$bb" "$root/bin/busybox"
  # One link per applet, so `ls`, `sh`, `httpd`, `nc`... work like in any busybox image.
  local applet
  for applet in $("$root/bin/busybox" --list); do
    [ "$applet" = busybox ] || ln -sf /bin/busybox "$root/bin/$applet"
  done
  printf 'root:x:0:0:root:/root:/bin/sh\nnobody:x:65534:65534:nobody:/home:/bin/false\n' >"$root/etc/passwd"
  printf 'root:x:0:\nnogroup:x:65534:\n' >"$root/etc/group"
}

build_busybox() {
  local image=sandboxgrains/busybox:latest
  if [ $force -eq 0 ] && image_exists $image; then return 0; fi
  local root
  root="$(mktemp -d)"
  trap 'rm -rf "$root"' RETURN
  busybox_rootfs "$root"
  import_rootfs "$root" $image "sandboxgrains busybox" 'CMD ["sh"]' 'ENV PATH=/usr/sbin:/usr/bin:/sbin:/bin'
}

# Alpine cannot be pulled here, so this is its shape: busybox, musl's loader and libc (Debian's musl package) as the
# only C library, and hello-musl, a program dynamically linked against it (musl-gcc), so a test can show that what the
# daemon starts runs on the image's libc, not on the glibc the daemon carries.
build_musl() {
  local image=sandboxgrains/musl:latest
  if [ $force -eq 0 ] && image_exists $image; then return 0; fi
  need_packages musl-gcc:musl-tools
  local root
  root="$(mktemp -d)"
  trap 'rm -rf "$root"' RETURN
  busybox_rootfs "$root"
  mkdir -p "$root/lib"
  cp -L /usr/lib/x86_64-linux-musl/libc.so "$root/lib/ld-musl-x86_64.so.1"
  printf '#include <stdio.h>\nint main(void) { puts("hello from musl"); return 0; }\n' >"$root/hello.c"
  musl-gcc -o "$root/usr/bin/hello-musl" "$root/hello.c"
  rm "$root/hello.c"
  printf 'ID=sandboxgrains-musl\nNAME="busybox on musl (Alpine-shaped)"\n' >"$root/etc/os-release"
  import_rootfs "$root" $image "sandboxgrains musl" 'CMD ["sh"]' 'ENV PATH=/usr/sbin:/usr/bin:/sbin:/bin'
}

# Distroless's shape: no shell, no package manager, no libc; users and groups, /tmp, and one static program as the
# entrypoint (busybox's sleep, copied under another name so no shell applet exists).
build_distroless() {
  local image=sandboxgrains/distroless:latest
  if [ $force -eq 0 ] && image_exists $image; then return 0; fi
  local root bb
  root="$(mktemp -d)"
  trap 'rm -rf "$root"' RETURN
  bb="$(static_busybox)"
  mkdir -p "$root"/{etc,tmp,home/nonroot,app,proc,sys,dev}
  chmod 1777 "$root/tmp"
  cp "$bb" "$root/app/sleep"
  printf 'root:x:0:0:root:/root:/sbin/nologin\nnonroot:x:65532:65532:nonroot:/home/nonroot:/sbin/nologin\n' >"$root/etc/passwd"
  printf 'root:x:0:\nnonroot:x:65532:\n' >"$root/etc/group"
  import_rootfs "$root" $image "sandboxgrains distroless" 'ENTRYPOINT ["/app/sleep"]' 'CMD ["2147483647"]'
}

# An image that carries the daemon itself, as seed 002's `direct` injection expects: the published bundle copied to where
# Daemon:ImageDaemonPath looks (/opt/sandboxgrains/sandboxd), on busybox. Rebuilt whenever the bundle is newer.
build_with_daemon() {
  local image=sandboxgrains/with-daemon:latest bundle="$SG_ROOT/artifacts/sandboxd"
  [ -x "$bundle/sandboxd" ] || die "$image needs the daemon bundle: dotnet publish src/SandboxGrains.Daemon -c Release"
  if [ $force -eq 0 ] && image_exists $image \
    && [ "$(docker image inspect -f '{{.Created}}' $image | xargs -I{} date -d {} +%s)" -ge "$(stat -c %Y "$bundle/sandboxd")" ]; then
    return 0
  fi
  local root
  root="$(mktemp -d)"
  trap 'rm -rf "$root"' RETURN
  busybox_rootfs "$root"
  mkdir -p "$root/opt/sandboxgrains"
  cp -a "$bundle/." "$root/opt/sandboxgrains/"
  import_rootfs "$root" $image "sandboxgrains busybox with sandboxd" 'CMD ["sh"]' 'ENV PATH=/usr/sbin:/usr/bin:/sbin:/bin'
}

build_base() {
  local image=sandboxgrains/base:latest
  if [ $force -eq 0 ] && image_exists $image; then return 0; fi
  local cache="$SG_STATE/bookworm-minbase-python3.tar"
  if [ ! -s "$cache" ]; then
    need_packages debootstrap:debootstrap
    [ "$(id -u)" -eq 0 ] || die "debootstrap needs root to build $image"
    local mirror="${SANDBOXGRAINS_DEBIAN_MIRROR:-$(sed -n 's#^URIs: *\(http[^ ]*/debian\)$#\1#p' /etc/apt/sources.list.d/*.sources 2>/dev/null | head -n1)}"
    mirror="${mirror:-http://deb.debian.org/debian}"
    local root
    root="$(mktemp -d)"
    say "debootstrap bookworm minbase into $root from $mirror (cached afterwards at $cache)"
    debootstrap --variant=minbase --include=python3,ca-certificates,procps bookworm "$root" "$mirror" \
      >"$SG_STATE/debootstrap.log" 2>&1 || { tail -n 20 "$SG_STATE/debootstrap.log" >&2; rm -rf "$root"; die "debootstrap failed"; }
    rm -rf "$root"/var/cache/apt/archives/*.deb "$root"/var/lib/apt/lists/*
    tar -C "$root" --numeric-owner -cf "$cache.tmp" . && mv "$cache.tmp" "$cache"
    rm -rf "$root"
  fi
  say "building $image"
  docker import --change 'CMD ["bash"]' \
    --change 'ENV PATH=/usr/local/sbin:/usr/local/bin:/usr/sbin:/usr/bin:/sbin:/bin' --change 'ENV LANG=C.UTF-8' \
    --message "sandboxgrains base (debian bookworm)" "$cache" $image >/dev/null
}

# An image FROM base with Debian packages installed inside: the image build reaches Debian's mirror like apt does.
# Usage: build_on_base IMAGE PACKAGE...
build_on_base() {
  local image=$1
  shift
  if [ $force -eq 0 ] && image_exists "$image"; then return 0; fi
  build_base
  say "building $image"
  docker build -q -t "$image" - >/dev/null <<DOCKERFILE
FROM sandboxgrains/base:latest
RUN apt-get update -qq && DEBIAN_FRONTEND=noninteractive apt-get install -y -qq --no-install-recommends $* >/dev/null \\
 && rm -rf /var/lib/apt/lists/*
DOCKERFILE
}

# base with nginx-light: the fast in-sandbox app of the benchmarks.
build_bench() { build_on_base sandboxgrains/bench:latest nginx-light; }

# base with git and nodejs: what Daytona's own images carry and its SDK's git and codeRun (JavaScript) need. Kept apart
# from base so the default image stays small.
build_dev() { build_on_base sandboxgrains/dev:latest git nodejs; }

# The silo, published self-contained for linux-x64, on the base image. Always rebuilt when asked for: it is our code.
build_silo() {
  local image=sandboxgrains/silo:latest
  build_base
  need_dotnet
  local context
  context="$(mktemp -d)"
  trap 'rm -rf "$context"' RETURN
  say "publishing the silo (self-contained) for $image"
  dotnet publish "$SG_ROOT/src/SandboxGrains.Silo" -c Release -r linux-x64 --self-contained -o "$context/silo" \
    -nologo -v quiet -clp:ErrorsOnly >/dev/null
  say "building $image"
  docker build -q -t $image -f "$SG_ROOT/deploy/silo.Dockerfile" "$context" >/dev/null
}

build_redis() {
  local image=sandboxgrains/redis:latest
  if [ $force -eq 0 ] && image_exists $image; then return 0; fi
  build_base
  say "building $image"
  docker build -q -t $image -f "$SG_ROOT/deploy/redis.Dockerfile" "$SG_ROOT/deploy" >/dev/null
}

for name in "${wanted[@]}"; do "build_$name"; done
