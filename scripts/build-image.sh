#!/usr/bin/env bash
# SPDX-License-Identifier: MIT
# build-image.sh [--tag NAME] [--storage DIR] [--export DIR] BIN_DIR -- `make image`: builds the
# container image of Containerfile with podman from the static programs in BIN_DIR (server,
# client, linksim, loadgen, conformance of a SOCKCALC_STATIC build: CMake preset `static`).
# The build context is a fresh folder holding only usr/bin/sockcalc-NAME, each program
# stripped; FROM scratch pulls nothing, and no step runs a container (docs/SERVICE.md,
# "Container image").
#
#   --tag NAME     the image's name (default sockcalc:VERSION, VERSION from `server --version`)
#   --storage DIR  podman keeps everything under DIR (images: DIR/root, run files: DIR/runroot,
#                  temporary files: DIR/tmp; storage driver vfs), and runs in a private mount
#                  namespace whose /run, /var/lib and /var/tmp are empty: the host's image store
#                  and podman's files outside DIR are never touched. The tests' mode (root only).
#   --export DIR   then copies the image's file system to DIR/rootfs (podman image mount) and
#                  writes its configuration to DIR/config.json and, one KEY=VALUE a line
#                  (User, ExposedPorts, Entrypoint, Cmd, Layers, Licenses), DIR/config.txt.
set -euo pipefail

root=$(cd "$(dirname "$0")/.." && pwd)
readonly PROGRAMS=(server client linksim loadgen conformance)

usage() {
  echo "usage: build-image.sh [--tag NAME] [--storage DIR] [--export DIR] BIN_DIR" >&2
  exit 2
}

tag="" storage="" export_dir="" bin_dir=""
while (($#)); do
  case "$1" in
    --tag) (($# >= 2)) || usage; tag=$2; shift 2 ;;
    --storage) (($# >= 2)) || usage; storage=$2; shift 2 ;;
    --export) (($# >= 2)) || usage; export_dir=$2; shift 2 ;;
    -*) usage ;;
    *) [[ -z "$bin_dir" ]] || usage; bin_dir=$1; shift ;;
  esac
done
[[ -n "$bin_dir" ]] || usage

# Every program must be there and static: a dynamic one would not start in a FROM scratch image
# (it names a loader, /lib64/ld-linux-x86-64.so.2, that the image does not hold).
for p in "${PROGRAMS[@]}"; do
  if [[ ! -x "$bin_dir/$p" ]]; then
    echo "build-image: no program $bin_dir/$p (build the preset static: make image)" >&2
    exit 1
  fi
  if readelf -lW "$bin_dir/$p" | grep -q 'program interpreter'; then
    echo "build-image: $bin_dir/$p is linked dynamically; the image needs SOCKCALC_STATIC=ON" >&2
    exit 1
  fi
done
version=$("$bin_dir/server" --version | awk 'NR == 1 { print $NF }')
tag=${tag:-sockcalc:$version}

work=$(mktemp -d)
trap 'rm -rf "$work"' EXIT
mkdir -p "$work/context/usr/bin"
for p in "${PROGRAMS[@]}"; do
  strip --strip-all -o "$work/context/usr/bin/sockcalc-$p" "$bin_dir/$p"
  chmod 0755 "$work/context/usr/bin/sockcalc-$p"
done

# With --storage: a new mount namespace (unshare), in which, and only there, empty file systems
# cover /run, /var/lib and /var/tmp (podman writes its blob cache under /var/lib/containers and
# its network state under /run/containers whatever --root says); then podman.
# shellcheck disable=SC2016 # expanded by that sh, inside the namespace
readonly PRIVATE_MOUNTS='for dir in /run /var/lib /var/tmp; do
  mount -n -t tmpfs -o mode=1777 sockcalc-image "$dir" || exit 1
done
exec "$@"'
podman=(podman)
if [[ -n "$storage" ]]; then
  mkdir -p "$storage"/{root,runroot,tmp}
  storage=$(cd "$storage" && pwd)
  podman=(unshare --mount --propagation private -- sh -c "$PRIVATE_MOUNTS" sh
          podman --root "$storage/root" --runroot "$storage/runroot" --tmpdir "$storage/tmp"
          --storage-driver vfs --cgroup-manager cgroupfs --events-backend none)
fi
run_podman() {
  if [[ -n "$storage" ]]; then
    TMPDIR="$storage/tmp" "${podman[@]}" "$@"
  else
    "${podman[@]}" "$@"
  fi
}

run_podman build --pull=never --network=none --build-arg "VERSION=$version" \
  -f "$root/Containerfile" -t "$tag" "$work/context"

if [[ -n "$export_dir" ]]; then
  mkdir -p "$export_dir/rootfs"
  # Mounting needs root; with vfs the "mount" is the layer's own folder. tar keeps modes and
  # owners. Unmounted even when the copy fails.
  mount=$(run_podman image mount "$tag")
  status=0
  tar -C "$mount" -cf - . | tar -C "$export_dir/rootfs" -xpf - || status=$?
  run_podman image unmount "$tag" >/dev/null
  ((status == 0)) || exit "$status"
  run_podman image inspect --format '{{json .}}' "$tag" >"$export_dir/config.json"
  # shellcheck disable=SC2016 # a Go template for podman, not shell
  run_podman image inspect --format 'User={{.Config.User}}
ExposedPorts={{range $port, $_ := .Config.ExposedPorts}}{{$port}} {{end}}
Entrypoint={{join .Config.Entrypoint " "}}
Cmd={{join .Config.Cmd " "}}
Layers={{len .RootFS.Layers}}
Licenses={{index .Labels "org.opencontainers.image.licenses"}}' "$tag" >"$export_dir/config.txt"
fi
echo "build-image: built $tag from $bin_dir"
