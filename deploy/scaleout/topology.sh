#!/usr/bin/env bash
# SPDX-License-Identifier: MIT
# deploy/scaleout/topology.sh -- the scale-out lab of docs/SCALING.md: six hosts, each a network
# namespace (two clients, a router that balances, three servers), joined by veth pairs, with
# IPv6 ULA and private IPv4 addresses that exist only inside those namespaces; on the router an
# nftables virtual service (deploy/nftables/sockcalc.nft.in) and an ECMP route to an anycast
# address held by every server. `up` makes it all or nothing, `down` removes it, `status` shows
# it. Run as root. Starts no server: run them in the server hosts (`ip netns exec P-s1 ...`).
set -euo pipefail

readonly ME="topology.sh"
HERE="$(cd "$(dirname "${BASH_SOURCE[0]}")" && pwd)"
readonly HERE
readonly RULESET="$HERE/../nftables/sockcalc.nft.in"
readonly PORT=10000
readonly VIP6="fd00:5c:ff::1" VIP4="10.92.255.1"        # nftables virtual service
readonly ANY6="fd00:5c:fe::1" ANY4="10.92.254.1"        # ECMP anycast, on each server's lo
readonly CLIENTS=(1 2) SERVERS=(1 2 3)
# A namespace name is a file name under /run/netns; the prefix stays short and plain so that
# "PREFIX-s3" is one too.
readonly PREFIX_RE='^[A-Za-z][A-Za-z0-9-]{0,31}$'

usage() {
  cat <<EOF
Usage: $ME up|down|status [--prefix P]

Brings the scale-out lab of docs/SCALING.md up or down, or shows it. Hosts are network
namespaces P-c1 P-c2 (clients), P-r (router and balancer), P-s1 P-s2 P-s3 (servers); all
addresses exist only inside them:
  client i (1,2):   fd00:5c:i::2/64   10.92.i.2/24    default route via the router (::1, .1)
  server j (1,2,3): fd00:5c:1j::2/64  10.92.1j.2/24   default route via the router (::1, .1)
  nftables service on the router:  [$VIP6]:$PORT  $VIP4:$PORT  (DNAT to the servers)
  ECMP anycast (on each server's lo, multipath route on the router):
                                   [$ANY6]:$PORT  $ANY4:$PORT
Servers are not started: run them in the server hosts on the wildcard address, e.g.
  ip netns exec P-s1 sockcalc-server :: $PORT

Commands:
  up       make the six hosts, their links, addresses, routes, the ruleset and the ECMP routes;
           on any failure, remove what was made and exit 1
  down     remove the hosts of that prefix (the links go with them); none there is not an error
  status   list the hosts, the router's routes and service chains; exit 0 when all six hosts
           exist, 1 otherwise

Options:
  --prefix P   namespace names start with "P-" (default: sockcalc); letters, digits and '-',
               starting with a letter, at most 32 characters
  -h, --help   this text

Needs root, ip (iproute2), nft (nftables) and sysctl (procps). Exit status: 0 done, 1 failed
(nothing left behind by 'up'), 2 usage error.
EOF
}

die_usage() {
  echo "$ME: $1" >&2
  echo "Try '$ME --help'." >&2
  exit 2
}

fail() {
  echo "$ME: $1" >&2
  exit 1
}

# --- names -----------------------------------------------------------------------------------

prefix="sockcalc"
ns_of() { echo "$prefix-$1"; }
all_hosts() { echo c1 c2 r s1 s2 s3; }

# The namespaces of this prefix that exist now.
existing_hosts() {
  local list host
  list=$(ip netns list 2>/dev/null | awk '{print $1}')
  for host in $(all_hosts); do
    if grep -qxF "$(ns_of "$host")" <<<"$list"; then echo "$host"; fi
  done
}

# --- up --------------------------------------------------------------------------------------

made=()  # namespaces made by this run, removed again if a later step fails

# Runs a command; on failure, says which step failed with the command's own message.
step() {
  local what="$1"
  shift
  local out
  if ! out=$("$@" 2>&1); then
    echo "$ME: cannot $what: ${out:-exit status $?} ($*)" >&2
    return 1
  fi
}

undo_up() {
  local ns
  for ns in "${made[@]}"; do ip netns delete "$ns" 2>/dev/null || true; done
  if ((${#made[@]})); then
    echo "$ME: removed what this run made (${made[*]})" >&2
  fi
}

add_host() {
  local ns
  ns=$(ns_of "$1")
  step "add namespace $ns" ip netns add "$ns"
  made+=("$ns")
}

# Runs the `ip` commands of `batch` (one a line, without "ip") inside host $1, in one process:
# a machine busy with other work spends its time starting processes, not in the kernel. ip
# stops at the first command that fails and names its line.
batch=""
run_batch() {
  local ns
  ns=$(ns_of "$1")
  step "configure $ns" ip -n "$ns" -batch - <<<"$batch"
  batch=""
}
add() { batch+="$*"$'\n'; }

setup_router() {
  local r
  r=$(ns_of r)
  # Forwarding for both families; layer-4 hashing of multipath routes, so that each client
  # flow (addresses and ports) sticks to one nexthop and distinct flows spread.
  step "set router sysctls in $r" ip netns exec "$r" sysctl -q -w net.ipv6.conf.all.forwarding=1 \
    net.ipv4.ip_forward=1 net.ipv6.fib_multipath_hash_policy=1 net.ipv4.fib_multipath_hash_policy=1
}

# The router's end of each link: a veth pair from the router (interface c1, s1, ...) to the
# host (interface eth0, created in the host's namespace), the router's addresses on it (::1 and
# .1 of the link's /64 and /24). IPv6 addresses take `nodad`: usable at once.
router_links() {
  local i j
  add link set lo up
  for i in "${CLIENTS[@]}"; do router_link "c$i" "fd00:5c:$i::" "10.92.$i"; done
  for j in "${SERVERS[@]}"; do router_link "s$j" "fd00:5c:1$j::" "10.92.1$j"; done
  run_batch r
}
router_link() {
  local name="$1" net6="$2" net4="$3"
  add link add "$name" type veth peer name eth0 netns "$(ns_of "$name")"
  add link set "$name" up
  add addr add "${net6}1/64" dev "$name" nodad
  add addr add "$net4.1/24" dev "$name"
}

# A host's end: eth0 up with ::2 and .2 of its link, default routes via the router; a server
# also holds the anycast address on lo.
host_side() {
  local host="$1" net6="$2" net4="$3"
  add link set lo up
  add link set eth0 up
  add addr add "${net6}2/64" dev eth0 nodad
  add addr add "$net4.2/24" dev eth0
  add route add default via "${net6}1"
  add route add default via "$net4.1"
  if [[ "$host" == s* ]]; then
    add addr add "$ANY6/128" dev lo
    add addr add "$ANY4/32" dev lo
  fi
  run_batch "$host"
}

# The router's multipath routes to the anycast address, one nexthop per server.
setup_anycast() {
  local j hops6="" hops4=""
  for j in "${SERVERS[@]}"; do
    hops6+=" nexthop via fd00:5c:1$j::2 dev s$j"
    hops4+=" nexthop via 10.92.1$j.2 dev s$j"
  done
  add route add "$ANY6/128" "$hops6"
  add route add "$ANY4/32" "$hops4"
  run_batch r
}

# The ruleset with its placeholders filled in.
ruleset_text() {
  local text j
  text=$(<"$RULESET")
  text=${text//@VIP6@/$VIP6}
  text=${text//@VIP4@/$VIP4}
  text=${text//@PORT@/$PORT}
  for j in "${SERVERS[@]}"; do
    text=${text//@S${j}_6@/fd00:5c:1$j::2}
    text=${text//@S${j}_4@/10.92.1$j.2}
  done
  printf '%s\n' "$text"
}

load_ruleset() {
  local r
  r=$(ns_of r)
  [[ -r "$RULESET" ]] || { echo "$ME: cannot read the ruleset $RULESET" >&2; return 1; }
  step "load the nftables ruleset in $r" ip netns exec "$r" nft -f /dev/stdin < <(ruleset_text)
}

report_up() {
  local i j
  echo "$ME: up, prefix $prefix:"
  for i in "${CLIENTS[@]}"; do
    printf '  %-16s client   eth0 fd00:5c:%s::2/64 10.92.%s.2/24\n' "$(ns_of "c$i")" "$i" "$i"
  done
  printf '  %-16s router   c1 c2 s1 s2 s3 (::1 and .1 of each link), forwarding on\n' "$(ns_of r)"
  for j in "${SERVERS[@]}"; do
    printf '  %-16s server   eth0 fd00:5c:1%s::2/64 10.92.1%s.2/24, lo %s %s\n' "$(ns_of "s$j")" \
      "$j" "$j" "$ANY6" "$ANY4"
  done
  echo "  nftables service (table inet sockcalc on $(ns_of r)): [$VIP6]:$PORT $VIP4:$PORT" \
    "-> 3 endpoints"
  echo "  ECMP anycast (multipath route on $(ns_of r), L4 hash): [$ANY6]:$PORT $ANY4:$PORT" \
    "-> 3 nexthops"
}

cmd_up() {
  local in_use i j
  in_use=$(existing_hosts | tr '\n' ' ')
  if [[ -n "$in_use" ]]; then
    fail "prefix '$prefix' already in use: namespaces of hosts ${in_use% } exist (run '$ME down --prefix $prefix' first)"
  fi
  trap 'undo_up' EXIT
  for host in $(all_hosts); do add_host "$host"; done
  setup_router
  router_links
  for i in "${CLIENTS[@]}"; do host_side "c$i" "fd00:5c:$i::" "10.92.$i"; done
  for j in "${SERVERS[@]}"; do host_side "s$j" "fd00:5c:1$j::" "10.92.1$j"; done
  setup_anycast
  load_ruleset
  trap - EXIT
  report_up
}

# --- down, status ----------------------------------------------------------------------------

cmd_down() {
  local host ns pids removed=()
  for host in $(existing_hosts); do
    ns=$(ns_of "$host")
    # A process still inside keeps the namespace (and its links) alive after the delete; this
    # script never kills what it did not start, so it names them.
    pids=$(ip netns pids "$ns" 2>/dev/null | tr '\n' ' ')
    [[ -z "$pids" ]] || echo "$ME: warning: processes still run in $ns: ${pids% }" >&2
    ip netns delete "$ns" || fail "cannot delete namespace $ns"
    removed+=("$ns")
  done
  if ((${#removed[@]})); then
    echo "$ME: down, removed ${removed[*]}"
  else
    echo "$ME: down, nothing to remove for prefix $prefix"
  fi
}

cmd_status() {
  local hosts count r
  hosts=$(existing_hosts)
  count=$(wc -w <<<"$hosts")
  echo "$ME: prefix $prefix: $count of 6 hosts"
  for host in $(all_hosts); do
    if grep -qx "$host" <<<"$hosts"; then
      printf '  %-16s up\n' "$(ns_of "$host")"
      # One line per interface with its global addresses (link-local ones left out).
      ip -n "$(ns_of "$host")" -brief addr show 2>/dev/null |
        awk '{line = ""; for (i = 3; i <= NF; i++) if ($i !~ /^fe80:/) line = line " " $i;
              if (line != "") { sub(/@.*/, "", $1); printf "    %-5s%s\n", $1, line } }'

    else
      printf '  %-16s missing\n' "$(ns_of "$host")"
    fi
  done
  r=$(ns_of r)
  if grep -qx r <<<"$hosts"; then
    echo "  ECMP routes on $r:"
    ip -n "$r" -6 route show "$ANY6/128" 2>/dev/null | sed 's/^/    /'
    ip -n "$r" -4 route show "$ANY4/32" 2>/dev/null | sed 's/^/    /'
    echo "  nftables service chains on $r:"
    for chain in svc6 svc4; do
      ip netns exec "$r" nft list chain inet sockcalc "$chain" 2>/dev/null |
        awk -v c="$chain" 'NR > 2 && !/^[[:space:]]*}/ && !/^[[:space:]]*$/ {sub(/^[[:space:]]+/, ""); print "    " c ": " $0}' || true
    done
  fi
  ((count == 6))
}

# --- main ------------------------------------------------------------------------------------

main() {
  local command=""
  while (($#)); do
    case "$1" in
      -h | --help) usage; exit 0 ;;
      --prefix)
        (($# >= 2)) || die_usage "option '--prefix' needs a value"
        prefix="$2"
        shift 2 ;;
      --prefix=*) prefix="${1#--prefix=}"; shift ;;
      up | down | status)
        [[ -z "$command" ]] || die_usage "more than one command ('$command' and '$1')"
        command="$1"
        shift ;;
      -*) die_usage "unknown option '$1'" ;;
      *) die_usage "unknown command '$1' (up, down or status)" ;;
    esac
  done
  [[ -n "$command" ]] || die_usage "no command (up, down or status)"
  [[ "$prefix" =~ $PREFIX_RE ]] ||
    die_usage "bad prefix '$prefix': letters, digits and '-', starting with a letter, at most 32"
  local tool
  for tool in ip:iproute2 nft:nftables sysctl:procps; do
    command -v "${tool%:*}" >/dev/null ||
      fail "'${tool%:*}' not found on PATH (Debian package ${tool#*:}); nothing was changed"
  done
  if [[ "$command" != status && "$(id -u)" != 0 ]]; then
    fail "'$command' needs root (network namespaces)"
  fi
  "cmd_$command"
}

main "$@"
