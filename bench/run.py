#!/usr/bin/env python3
# SPDX-License-Identifier: MIT
# bench/run.py -- the driver of `make bench` (docs/PERFORMANCE.md): runs our server and
# sockperf's under our loadgen, and the codec micro-benchmarks; prints a table, checks the
# targets, writes bench/results/<timestamp>.json, latest.json and latest.png. Single-threaded.
"""Benchmark sockcalc's server against sockperf's, with the same load generator.

Every server is started on 127.0.0.1 (sockperf 3.7 speaks IPv4), on a port it picks itself
(ours: port 0, the real port read from its "listening on" line; sockperf: a port found free by
binding port 0 here, retried when taken), loaded by `loadgen --json --server-pid` at each
concurrency K, and stopped by its pid. Figures are medians over the repetitions; repetitions
are interleaved (rep 1 of every setting, then rep 2, ...) so that a change in the machine's load
weighs on every setting alike. Standard library only, plus matplotlib for the plot.
"""

import argparse
import datetime
import json
import os
import platform
import shutil
import sys
import time
from pathlib import Path

from bench_matrix import (ALL_CONFIGS, COUNT_CONFIG, COUNT_K, COUNT_RUNS, DEFAULT_KS, HOST,
                          SOCKPERF)
from bench_procs import log, run_codec, run_loadgen, start_our_server, start_sockperf
from bench_report import check_targets, cpu_model, plot, print_table, summarise



def parse_args(argv):
    p = argparse.ArgumentParser(description=__doc__.split("\n\n")[0])
    here = Path(__file__).resolve().parent
    p.add_argument("--bin-dir", type=Path, default=here.parent / "build" / "default" / "bin",
                   help="where server, loadgen and codec_bench are (default: build/default/bin)")
    p.add_argument("--results-dir", type=Path, default=here / "results",
                   help="where the JSON and the plot go (default: bench/results)")
    p.add_argument("--quick", action="store_true",
                   help="a smoke run: 1 repetition, 0.5 s runs, short codec benchmarks")
    p.add_argument("--reps", type=int, default=3, help="repetitions (default 3; --quick: 1)")
    p.add_argument("--duration", type=float, help="measured seconds per run (default 3; --quick 0.5)")
    p.add_argument("--warmup", type=float, help="warm-up seconds per run (default 1; --quick 0.2)")
    p.add_argument("--only", help="comma-separated settings among: " + ", ".join(ALL_CONFIGS))
    p.add_argument("--k", help="comma-separated concurrencies (default 1,16,64)")
    p.add_argument("--no-codec", action="store_true", help="skip the codec micro-benchmarks")
    p.add_argument("--no-counts", action="store_true",
                   help=f"skip the 1- and 64-integer runs ({COUNT_CONFIG}, K={COUNT_K})")
    p.add_argument("--no-plot", action="store_true", help="do not draw latest.png")
    p.add_argument("--sockperf", default="sockperf", help="sockperf program (default: on PATH)")
    p.add_argument("--replot", type=Path, metavar="JSON",
                   help="measure nothing: print the table and targets of a results file again "
                   "and draw its plot next to it (latest.png)")
    p.add_argument("--placement", choices=("auto", "none"), default="auto",
                   help="auto (default): at K = 1, loadgen and server share CPU 0; "
                   "none: never pin")
    args = p.parse_args(argv)
    if args.quick:
        args.reps = 1
    args.duration = args.duration if args.duration is not None else (0.5 if args.quick else 3.0)
    args.warmup = args.warmup if args.warmup is not None else (0.2 if args.quick else 1.0)
    # The -wild settings only with --only (docs/PERFORMANCE.md, "Wildcard"): the default matrix,
    # and so its running time, stays as it was.
    default = [c for c in ALL_CONFIGS if not c.endswith(("-wild", "-metrics"))]
    args.configs = args.only.split(",") if args.only else default
    unknown = [c for c in args.configs if c not in ALL_CONFIGS]
    if unknown:
        p.error(f"unknown setting(s) {', '.join(unknown)}; known: {', '.join(ALL_CONFIGS)}")
    try:
        args.ks = [int(k) for k in args.k.split(",")] if args.k else list(DEFAULT_KS)
    except ValueError:
        p.error(f"--k takes comma-separated integers, not '{args.k}'")
    if args.reps < 1 or args.duration <= 0 or args.warmup < 0 or any(k < 1 for k in args.ks):
        p.error("--reps, --duration and every K must be positive")
    return args


def replot(path, no_plot):
    doc = json.loads(path.read_text())
    summary = {(e["config"], e["k"], e["count"]): e for e in doc["summary"]}
    print_table(summary, doc.get("codec"), check_targets(summary, doc.get("codec")), doc)
    if not no_plot:
        print("plot: " + plot(path.parent / "latest.png", summary, doc.get("codec")))
    return 0


def main(argv):
    args = parse_args(argv)
    if args.replot:
        return replot(args.replot, args.no_plot)
    started = time.monotonic()
    bin_dir = args.bin_dir.resolve()
    for prog in ("server", "loadgen"):
        if not (bin_dir / prog).exists():
            log(f"run.py: {bin_dir / prog} not found: build first (make build)")
            return 2
    configs = list(args.configs)
    if SOCKPERF in configs and not shutil.which(args.sockperf):
        log(f"run.py: {args.sockperf} not found: sockperf's server is left out")
        configs.remove(SOCKPERF)

    stamp = datetime.datetime.now(datetime.timezone.utc).strftime("%Y%m%dT%H%M%SZ")
    meta = {
        "timestamp": stamp,
        "command": [sys.executable] + sys.argv,
        "machine": {"cpus": os.cpu_count(), "kernel": platform.release(),
                    "cpu_model": cpu_model(), "python": platform.python_version()},
        "load_before": os.getloadavg()[0],
        "settings": {"reps": args.reps, "duration_s": args.duration, "warmup_s": args.warmup,
                     "ks": args.ks, "configs": configs, "host": HOST, "quick": args.quick,
                     "placement": args.placement},
    }
    runs = []
    failures = []
    plan = len(configs) * len(args.ks) * args.reps
    log(f"run.py: {plan} loadgen runs of {args.warmup} + {args.duration} s "
        f"({', '.join(configs)} at K = {', '.join(map(str, args.ks))}, {args.reps} rep(s))")
    for rep in range(args.reps):
        for config in configs:
            try:
                server = (start_sockperf(args.sockperf) if config == SOCKPERF
                          else start_our_server(bin_dir, config))
            except RuntimeError as e:
                failures.append(str(e))
                log(f"run.py: {e}")
                continue
            try:
                jobs = [(k, None) for k in args.ks]
                if config == COUNT_CONFIG and not args.no_counts and COUNT_K in args.ks:
                    jobs += [(COUNT_K, n) for n in COUNT_RUNS]
                for k, count in jobs:
                    report = run_loadgen(bin_dir, server, k, args, count)
                    runs.append({"config": config, "k": k, "count": count, "rep": rep + 1,
                                 "loadgen": report})
                    what = f"rep {rep + 1} {config} K={k}" + (f" n={count}" if count else "")
                    if "error" in report:
                        failures.append(f"{what}: {report['error']}")
                        log(f"run.py: {what}: {report['error']}")
                    else:
                        log(f"run.py: {what}: {report['requests_per_second']:,.0f}/s, "
                            f"p50 {report['latency_us']['p50']} us")
            finally:
                status = server.stop()
                if status != 0 and config != SOCKPERF:
                    failures.append(f"{config}: server exit status {status}:\n{server.output}")

    codec = None if args.no_codec else run_codec(bin_dir, args)
    if codec and "error" in codec:
        log(f"run.py: codec: {codec['error']}")

    groups = {}
    for r in runs:
        groups.setdefault((r["config"], r["k"], r["count"]), []).append(r)
    summary = {key: summarise(rs) for key, rs in groups.items()}
    targets = check_targets(summary, codec)
    meta["load_after"] = os.getloadavg()[0]
    meta["wall_s"] = round(time.monotonic() - started, 1)
    print_table(summary, codec, targets, meta)

    args.results_dir.mkdir(parents=True, exist_ok=True)
    document = dict(meta)
    document.update({
        "summary": [dict(config=c, k=k, count=n, **s) for (c, k, n), s in summary.items()],
        "targets": targets,
        "codec": codec,
        "runs": runs,
        "failures": failures,
    })
    path = args.results_dir / f"{stamp}.json"
    text = json.dumps(document, indent=1, sort_keys=False) + "\n"
    path.write_text(text)
    (args.results_dir / "latest.json").write_text(text)
    # The files must read back as what was measured: a broken writer fails the run.
    if json.loads(path.read_text())["summary"] != document["summary"]:
        failures.append(f"{path} does not read back")
    print(f"\nresults: {path} (and latest.json)")
    if not args.no_plot:
        print("plot: " + plot(args.results_dir / "latest.png", summary, codec))
    print(f"wall time: {time.monotonic() - started:.0f} s")
    if failures:
        print(f"\n{len(failures)} failure(s):")
        for f in failures:
            print("  " + f.replace("\n", "\n    "))
        return 1
    if not runs:
        print("no run at all")
        return 1
    return 0


if __name__ == "__main__":
    try:
        sys.exit(main(sys.argv[1:]))
    except KeyboardInterrupt:
        sys.exit(130)
