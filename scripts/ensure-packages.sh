#!/usr/bin/env bash
# SPDX-License-Identifier: MIT
# ensure-packages.sh PACKAGE... -- installs the Debian packages among PACKAGE... that are
# missing (apt-get, as root). Installs nothing when all are present. Exits non-zero, saying
# what to run, when some are missing and this is not root. apt-get's output is shown only when it
# fails. The Makefile skips this script altogether with SKIP_DEPS=1.
set -euo pipefail

missing=()
for p in "$@"; do
  status=$(dpkg-query -W -f='${Status}' "$p" 2>/dev/null || true)
  [[ "$status" == "install ok installed" ]] || missing+=("$p")
done
((${#missing[@]} == 0)) && exit 0

if [[ $(id -u) -ne 0 ]]; then
  echo "missing packages: ${missing[*]}" >&2
  echo "run as root: apt-get install ${missing[*]}" >&2
  exit 1
fi
echo "installing missing packages: ${missing[*]}" >&2
export DEBIAN_FRONTEND=noninteractive
# apt-get's output only when it fails: a log kept aside, shown then.
log=$(mktemp)
trap 'rm -f "$log"' EXIT
if ! { apt-get update -qq && apt-get install -y -qq --no-install-recommends "${missing[@]}"; } \
  >"$log" 2>&1; then
  cat "$log" >&2
  echo "ensure-packages: apt-get failed (above)" >&2
  exit 1
fi
