#!/usr/bin/env bash
# SPDX-License-Identifier: MIT
# build-deb.sh [OUT_DIR] -- `make deb`: builds the Debian source package and the binary packages
# sockcalc and libsockcalc-dev (debian/, docs/INSTALL.md) from a copy of this source tree, so
# that the work tree stays clean. OUT_DIR (default build/deb) gets the copy, sockcalc-VERSION/,
# and dpkg-buildpackage's results next to it: the .dsc, .tar.xz, .debs, .buildinfo, .changes.
# Then runs lintian on the .changes and prints where everything is. JOBS: parallel jobs.
set -euo pipefail

root=$(cd "$(dirname "$0")/.." && pwd)
out=${1:-$root/build/deb}
jobs=${JOBS:-$(nproc)}

# One version: debian/changelog's (native package) must be the project's (CMakeLists.txt).
version=$(cd "$root" && dpkg-parsechangelog -S Version)
project_version=$(sed -n 's/^project(sockcalc VERSION \([^ ]*\) .*/\1/p' "$root/CMakeLists.txt")
if [[ "$version" != "$project_version" ]]; then
  echo "build-deb: debian/changelog says $version, CMakeLists.txt says $project_version:" \
    "add a changelog entry (dch -v $project_version)" >&2
  exit 1
fi

# The copy: the files git knows and those it would add (not ignored), or, from a tarball
# without .git, everything but the build directory and the program links `make` puts at the root.
mkdir -p "$out"
out=$(cd "$out" && pwd)
src=$out/sockcalc-$version
rm -rf "$src" "$out"/sockcalc_"$version"* "$out"/libsockcalc-dev_"$version"* \
  "$out"/sockcalc-dbgsym_"$version"*
mkdir "$src"
if [[ "$(git -C "$root" rev-parse --show-toplevel 2>/dev/null)" == "$root" ]]; then
  (cd "$root" && git ls-files -z -co --exclude-standard --deduplicate |
    while IFS= read -r -d '' f; do [[ -e "$f" || -L "$f" ]] && printf '%s\0' "$f"; done |
    tar --null -T - -cf -) | tar -xf - -C "$src"
else
  (cd "$root" && tar --exclude=./build --exclude=./.git --exclude=./server --exclude=./client \
    --exclude=./linksim --exclude=./loadgen --exclude=./conformance --exclude=./healthcheck \
    -cf - .) | tar -xf - -C "$src"
fi

log=$out/dpkg-buildpackage.log
echo "build-deb: building sockcalc $version in $src (log: $log)"
if ! (cd "$src" && dpkg-buildpackage -us -uc -j"$jobs") >"$log" 2>&1; then
  tail -n 40 "$log" >&2
  echo "build-deb: dpkg-buildpackage failed (log: $log)" >&2
  exit 1
fi

changes=$(ls "$out"/sockcalc_"$version"_*.changes)
echo "build-deb: lintian -EIL +pedantic $(basename "$changes")"
lintian -EIL +pedantic --fail-on error,warning "$changes"
echo "build-deb: packages in $out:"
(cd "$out" && ls -1 ./*.deb ./*.dsc ./*.tar.* ./*.changes | sed 's|^\./|  |')
