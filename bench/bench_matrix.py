# SPDX-License-Identifier: MIT
# bench/bench_matrix.py -- internal to bench/run.py: what is measured (the server settings,
# the concurrencies, where each process runs). Constants only.

HOST = "127.0.0.1"
DEFAULT_KS = (1, 16, 64)
# Our settings: name -> server arguments (both engines, 1 and 2 workers, with and without
# busy polling). "sockperf" is sockperf's server.
OUR_CONFIGS = {
    f"{engine}-{threads}t{'-bp' if bp else ''}": ["--engine", engine, "--threads", str(threads)]
    + (["--busy-poll"] if bp else [])
    for engine in ("batch", "simple")
    for bp in (False, True)
    for threads in (1, 2)
}
# The same server on the wildcard address 0.0.0.0 (still asked on 127.0.0.1): each reply then
# carries the request's destination back as IP_PKTINFO (docs/PERFORMANCE.md, "Wildcard").
WILDCARD = "0.0.0.0"  # run with --only batch-1t,batch-1t-wild,... (not in the default matrix)
for _engine in ("batch", "simple"):
    OUR_CONFIGS[f"{_engine}-1t-wild"] = ["--engine", _engine, "--threads", "1"]
# The same server with --metrics, scraped once a second while loadgen runs (docs/PERFORMANCE.md,
# "Metrics on and off"): run with --only batch-1t,batch-1t-metrics,... (not in the default matrix).
METRICS_ARGS = ["--metrics", "127.0.0.1:0"]
SCRAPE_INTERVAL_S = 1.0
for _threads in (1, 2):
    OUR_CONFIGS[f"batch-{_threads}t-metrics"] = OUR_CONFIGS[f"batch-{_threads}t"] + METRICS_ARGS
SOCKPERF = "sockperf"
ALL_CONFIGS = list(OUR_CONFIGS) + [SOCKPERF]
# Integers per request for the runs that show how cost grows with the request's size: the
# default setting at K = 16, every request with 1, then with 64 integers.
COUNT_RUNS = ("1", "64")
COUNT_CONFIG, COUNT_K = "batch-1t", 16

# At K = 1 the generator and the server take turns: only one of them runs at a time. Where the
# scheduler puts them then decides the result on this VM, for every server alike: on one vCPU a
# round trip takes ~4 us; on two, each one wakes the other across vCPUs, ~60 us
# (docs/PERFORMANCE.md, "K = 1"). So by default K = 1 runs with both on one CPU; higher K unpinned.
PINNED_CPU = 0
