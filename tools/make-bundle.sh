#!/usr/bin/env bash
# Makes a published sandboxd folder into the bundle mounted at /opt/sandboxgrains in sandboxes:
#   sandboxd                       the AOT binary, interpreter set to /opt/sandboxgrains/lib/ld-linux-x86-64.so.2
#   lib/                           the loader and the glibc libraries the binary needs (from this machine)
# Called by the daemon project after publish. Usage: tools/make-bundle.sh PUBLISH_DIR
source "$(dirname "${BASH_SOURCE[0]}")/lib.sh"
dir="${1:?usage: make-bundle.sh PUBLISH_DIR}"
[ -x "$dir/sandboxd" ] || die "$dir/sandboxd is missing: publish the daemon first"
need_packages patchelf:patchelf

rm -f "$dir"/*.dbg "$dir"/*.pdb "$dir"/*.json
mkdir -p "$dir/lib"
# ldd of an already patched binary resolves through the bundle itself; patch a copy back to the system loader first.
probe="$(mktemp)"
cp "$dir/sandboxd" "$probe"
patchelf --set-interpreter /lib64/ld-linux-x86-64.so.2 --remove-rpath "$probe"
for lib in $(ldd "$probe" | grep -o '/[^ ]*' | sort -u); do
  cp -L "$lib" "$dir/lib/$(basename "$lib")"
done
rm -f "$probe"
[ -f "$dir/lib/ld-linux-x86-64.so.2" ] || die "the loader was not among the binary's libraries"
patchelf --set-interpreter /opt/sandboxgrains/lib/ld-linux-x86-64.so.2 --set-rpath /opt/sandboxgrains/lib "$dir/sandboxd"
chmod 0755 "$dir/sandboxd" "$dir"/lib/*
