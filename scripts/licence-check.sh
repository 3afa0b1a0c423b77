#!/usr/bin/env bash
# SPDX-License-Identifier: MIT
# licence-check.sh [--fix] -- lists the project's source, script and build files that lack the
# line "SPDX-License-Identifier: MIT" in their first three lines (exit 1 when any does); with
# --fix, adds it as a comment of the file's own language (after a #! line). Works from a git
# checkout (tracked and new files) or from a source tarball (every file under the tree).
set -euo pipefail
cd "$(dirname "$0")/.."

readonly TAG="SPDX-License-Identifier: MIT"

list_files() {
  if git rev-parse --is-inside-work-tree >/dev/null 2>&1; then
    git ls-files -co --exclude-standard
  else
    find . -path ./build -prune -o -type f -print | sed 's|^\./||'
  fi
}

# The comment marker of a file that needs the line; nothing for files that do not (data, docs,
# pictures, Debian's own control files, which debian/copyright covers).
marker_of() {
  case "$1" in
    *.cpp | *.hpp | *.hpp.in) echo "//" ;;
    *.lua) echo "--" ;;
    CMakeLists.txt | */CMakeLists.txt | *.cmake | *.cmake.in | Makefile | *.sh | *.py | *.bash.in | \
      *.conf.in | *.nft.in | *.pc.in | .ci/run | debian/rules | deploy/systemd/* | deploy/prometheus/* | .clang-format | .gitignore | \
      Containerfile | *.yaml | *.yml)
      echo "#" ;;
  esac
}

missing=0
while IFS= read -r f; do
  [[ -f "$f" ]] || continue
  marker=$(marker_of "$f")
  [[ -n "$marker" ]] || continue
  head -n 3 "$f" | grep -q "$TAG" && continue
  if [[ "${1:-}" == "--fix" ]]; then
    if head -n 1 "$f" | grep -q '^#!'; then
      sed -i "1a $marker $TAG" "$f"
    else
      sed -i "1i $marker $TAG" "$f"
    fi
  else
    echo "no licence line: $f"
    missing=1
  fi
done < <(list_files)
exit "$missing"
