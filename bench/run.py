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
import re
import select
import shutil
import signal
import socket
import statistics
import subprocess
import sys
import tempfile
import threading
import time
import urllib.request
from pathlib import Path

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

START_TIMEOUT_S = 5.0  # a server that has not said it is ready by then failed to start
STOP_TIMEOUT_S = 5.0  # after SIGINT; then SIGKILL
SOCKPERF_PORT_TRIES = 3

# The targets (docs/PERFORMANCE.md).
CODEC_TARGET_NS = 50.0
K1_P50_RATIO = 1.1
K1_BUSY_P50_RATIO = 0.6
LOADGEN_CPU_RATIO = 1.1
USER_SHARE_MAX = 0.05


def log(*parts):
    print(*parts, file=sys.stderr, flush=True)


# ---- Processes ----


class Server:
    """One server process, started and stopped by its pid; its output is kept for reports."""

    def __init__(self, name, argv, ready_pattern):
        self.name = name
        self.argv = argv
        self.output = ""
        self.port = None
        self.scraper = None  # a Scraper when the server was started with --metrics
        # The ready line comes on stderr (ours) or stdout (sockperf): both go to one pipe.
        self.proc = subprocess.Popen(
            argv,
            stdin=subprocess.DEVNULL,
            stdout=subprocess.PIPE,
            stderr=subprocess.STDOUT,
            start_new_session=True,  # a Ctrl-C at the terminal goes to run.py, which stops it
        )
        self.pid = self.proc.pid
        self._ready = re.compile(ready_pattern)

    def wait_ready(self, timeout_s=START_TIMEOUT_S):
        """Reads output until a line matches the ready pattern; returns the match or None."""
        deadline = time.monotonic() + timeout_s
        pending = b""
        fd = self.proc.stdout.fileno()
        while time.monotonic() < deadline:
            ready, _, _ = select.select([fd], [], [], max(0.0, deadline - time.monotonic()))
            if not ready:
                break
            chunk = os.read(fd, 65536)
            if not chunk:  # the process closed its output: it exited
                break
            pending += chunk
            *lines, pending = pending.split(b"\n")
            for raw in lines:
                line = raw.decode(errors="replace")
                self.output += line + "\n"
                m = self._ready.search(line)
                if m:
                    return m
        return None

    def stop(self):
        """SIGINT, then SIGKILL after STOP_TIMEOUT_S; returns the exit status."""
        if self.scraper:
            self.scraper.stop()
            log(f"run.py: {self.name}: {self.scraper.scrapes} scrapes, "
                f"{self.scraper.failures} failed")
        if self.proc.poll() is None:
            try:
                os.kill(self.pid, signal.SIGINT)
            except ProcessLookupError:
                pass
        try:
            rest, _ = self.proc.communicate(timeout=STOP_TIMEOUT_S)
        except subprocess.TimeoutExpired:
            os.kill(self.pid, signal.SIGKILL)
            rest, _ = self.proc.communicate(timeout=STOP_TIMEOUT_S)
        self.output += (rest or b"").decode(errors="replace")
        return self.proc.returncode


def waiting(server):
    """server.wait_ready(), stopping the server when the wait is interrupted."""
    try:
        return server.wait_ready()
    except BaseException:
        server.stop()
        raise


def start_our_server(bin_dir, config):
    bind = WILDCARD if config.endswith("-wild") else HOST
    argv = [str(bin_dir / "server")] + OUR_CONFIGS[config] + [bind, "0"]
    s = Server(config, argv, r"listening on \S+:(\d+)")
    m = waiting(s)
    if not m:
        s.stop()
        raise RuntimeError(f"{config}: no 'listening on' line from {' '.join(argv)}:\n{s.output}")
    s.port = int(m.group(1))
    scraped = re.search(r"metrics on (\S+)", s.output)
    if scraped:
        s.scraper = Scraper(f"http://{scraped.group(1)}/metrics")
    return s


class Scraper:
    """GETs a --metrics endpoint every SCRAPE_INTERVAL_S on a thread, as Prometheus would."""

    def __init__(self, url):
        self.url = url
        self.scrapes = 0
        self.failures = 0
        self._stop = threading.Event()
        self._thread = threading.Thread(target=self._run, daemon=True)
        self._thread.start()

    def _run(self):
        while not self._stop.wait(SCRAPE_INTERVAL_S):
            try:
                with urllib.request.urlopen(self.url, timeout=SCRAPE_INTERVAL_S) as reply:
                    reply.read()
                self.scrapes += 1
            except OSError:
                self.failures += 1

    def stop(self):
        self._stop.set()
        self._thread.join()


def free_udp_port():
    with socket.socket(socket.AF_INET, socket.SOCK_DGRAM) as probe:
        probe.bind((HOST, 0))
        return probe.getsockname()[1]


def start_sockperf(sockperf):
    # sockperf cannot be told to take port 0 and print it: find a free port, close it, pass it.
    # Someone may take it in between: sockperf then fails to start, and another port is tried.
    last = ""
    for _ in range(SOCKPERF_PORT_TRIES):
        port = free_udp_port()
        argv = [sockperf, "server", "-i", HOST, "-p", str(port)]
        s = Server(SOCKPERF, argv, r"using .* socket")
        if waiting(s):
            s.port = port
            return s
        s.stop()
        last = s.output
    raise RuntimeError(f"sockperf server did not start in {SOCKPERF_PORT_TRIES} tries:\n{last}")


def set_affinity(pid, cpus):
    """Moves every thread of process `pid` to `cpus` (None: every CPU); False when it cannot."""
    cpus = cpus if cpus is not None else set(range(os.cpu_count() or 1))
    try:
        for tid in os.listdir(f"/proc/{pid}/task"):
            os.sched_setaffinity(int(tid), cpus)
    except OSError:
        return False
    return True


def pinned(args, k):
    return args.placement == "auto" and k == 1 and (os.cpu_count() or 1) > 1


def run_loadgen(bin_dir, server, k, args, count=None):
    argv = [str(bin_dir / "loadgen"), "--json", "-c", str(k), "-d", str(args.duration),
            "-w", str(args.warmup), "--server-pid", str(server.pid)]
    if server.name == SOCKPERF:
        argv.append("--sockperf")
    if count is not None:
        argv += ["-n", count]
    argv += [HOST, str(server.port)]
    # Bounded: warm-up + measure + the drain (2 x the 200 ms timeout) + start-up slack.
    limit = args.warmup + args.duration + 30
    pin = pinned(args, k) and set_affinity(server.pid, {PINNED_CPU})
    try:
        p = subprocess.run(argv, stdin=subprocess.DEVNULL, capture_output=True, text=True,
                           timeout=limit,
                           preexec_fn=(lambda: os.sched_setaffinity(0, {PINNED_CPU})) if pin
                           else None)
    except subprocess.TimeoutExpired:
        return {"error": f"loadgen did not finish in {limit:.0f} s", "argv": argv}
    finally:
        if pin:
            set_affinity(server.pid, None)
    try:
        report = json.loads(p.stdout)
    except json.JSONDecodeError:
        return {"error": f"loadgen exit {p.returncode}, no JSON: {p.stderr.strip()[:500]}",
                "argv": argv}
    report["exit_status"] = p.returncode
    report["argv"] = argv
    report["placement"] = f"loadgen and server on CPU {PINNED_CPU}" if pin else "unpinned"
    if p.returncode != 0:
        report["error"] = f"loadgen exit {p.returncode}: {'; '.join(report.get('failures', []))}"
    return report


# ---- Figures ----

METRICS = {
    # name: (path in loadgen's JSON, unit)
    "replies_per_s": (("requests_per_second",), "1/s"),
    "p50_us": (("latency_us", "p50"), "us"),
    "p99_us": (("latency_us", "p99"), "us"),
    "server_cpu_us": (("server_cpu", "us_per_reply"), "us"),
    "server_user_share": (("server_cpu", "user_share"), ""),
    "loadgen_cpu_us": (("loadgen_cpu", "us_per_request"), "us"),
}


def dig(d, path):
    for key in path:
        if not isinstance(d, dict) or key not in d:
            return None
        d = d[key]
    return d


def summarise(runs):
    """Medians of every metric over the runs of one (config, K, count) that produced figures."""
    good = [r for r in runs if "error" not in r["loadgen"]]
    out = {"reps": len(runs), "good_reps": len(good)}
    for name, (path, _) in METRICS.items():
        values = [v for v in (dig(r["loadgen"], path) for r in good) if v is not None]
        out[name] = statistics.median(values) if values else None
    if out["server_cpu_us"] is not None and out["replies_per_s"] is not None:
        # Fraction of one core the server used: is it saturated?
        out["server_busy"] = out["server_cpu_us"] * out["replies_per_s"] / 1e6
    else:
        out["server_busy"] = None
    return out


def run_codec(bin_dir, args):
    exe = bin_dir / "codec_bench"
    if not exe.exists():
        return {"error": f"{exe} not built (configure with -DSOCKCALC_BUILD_BENCH=ON)"}
    reps = 1 if args.quick else args.reps
    min_time = 0.05 if args.quick else 0.25
    with tempfile.TemporaryDirectory(prefix="sockcalc-bench-") as tmp:
        out = Path(tmp) / "codec.json"
        argv = [str(exe), f"--benchmark_min_time={min_time}",
                f"--benchmark_repetitions={reps}", "--benchmark_report_aggregates_only=true",
                f"--benchmark_out={out}", "--benchmark_out_format=json"]
        try:
            p = subprocess.run(argv, stdin=subprocess.DEVNULL, capture_output=True, text=True,
                               timeout=600)
        except subprocess.TimeoutExpired:
            return {"error": "codec_bench did not finish in 600 s", "argv": argv}
        if p.returncode != 0 or not out.exists():
            return {"error": f"codec_bench exit {p.returncode}: {p.stderr.strip()[:500]}",
                    "argv": argv}
        data = json.loads(out.read_text())
    cases = {}
    for b in data.get("benchmarks", []):
        # With one repetition there is no aggregate: the run itself is the median.
        if b.get("run_type") == "aggregate" and b.get("aggregate_name") != "median":
            continue
        name = b.get("run_name", b["name"])
        m = re.match(r"BM_(\w+)/ints:(\d+)/string:(\d)", name)
        if not m:
            continue
        scale = {"ns": 1.0, "us": 1e3, "ms": 1e6}[b.get("time_unit", "ns")]
        # CPU time, not wall time: on a shared machine the wall clock also counts the time
        # other jobs held the CPU.
        cases[name] = {"case": m.group(1), "ints": int(m.group(2)),
                       "format": "string" if m.group(3) == "1" else "integer",
                       "ns": b["cpu_time"] * scale, "wall_ns": b["real_time"] * scale}
    return {"argv": argv, "repetitions": reps, "context": data.get("context", {}),
            "cases": cases}


# ---- Targets ----


def fmt(v, unit="", digits=1):
    if v is None:
        return "-"
    if unit == "%":
        return f"{100 * v:.{digits}f} %"
    if unit == "1/s":
        return f"{v:,.0f}/s"
    return f"{v:.{digits}f}{(' ' + unit) if unit else ''}"


def check_targets(summary, codec):
    """Each target: name, status (MET, MISSED, N/A), the numbers behind it."""
    def get(config, k):
        return summary.get((config, k, None))

    ours = [c for c in OUR_CONFIGS]
    targets = []

    def add(name, status, detail):
        targets.append({"target": name, "status": status, "detail": detail})

    def best(k, configs, key, pick):
        found = [(get(c, k)[key], c) for c in configs if get(c, k) and get(c, k)[key] is not None]
        return pick(found) if found else (None, None)

    sp16 = get(SOCKPERF, 16)
    rps, best16 = best(16, ours, "replies_per_s", max)
    if best16 and sp16 and sp16["replies_per_s"]:
        # Our best setting: the fastest of those that meet both conditions, if any does; else
        # the fastest.
        def meets(c):
            o = get(c, 16)
            return o and o["replies_per_s"] is not None and o["server_cpu_us"] is not None and \
                o["replies_per_s"] >= sp16["replies_per_s"] and \
                o["server_cpu_us"] <= sp16["server_cpu_us"]
        winners = [c for c in ours if meets(c)]
        if winners:
            best16 = max(winners, key=lambda c: get(c, 16)["replies_per_s"])
        o = get(best16, 16)
        ok = bool(winners)
        add("K=16: best setting's replies/s >= sockperf's and its server CPU per reply <= sockperf's",
            "MET" if ok else "MISSED",
            f"{best16}: {fmt(o['replies_per_s'], '1/s')} ({o['replies_per_s'] / sp16['replies_per_s']:.2f}x), "
            f"{fmt(o['server_cpu_us'], 'us', 2)}/reply vs sockperf {fmt(sp16['replies_per_s'], '1/s')}, "
            f"{fmt(sp16['server_cpu_us'], 'us', 2)}/reply")
    else:
        add("K=16: best setting vs sockperf (replies/s, server CPU per reply)", "N/A",
            "needs our settings and sockperf at K=16")

    # Saturation: the most outstanding requests we load with; the setting that answers the most
    # there. Every setting's share is listed too: they differ by engine.
    ks = sorted({k for (_, k, n) in summary if n is None})
    if ks:
        k_sat = ks[-1]
        setting = best(k_sat, ours, "replies_per_s", max)[1]
        o = get(setting, k_sat) if setting else None
        if o and o["server_user_share"] is not None:
            shares = ", ".join(f"{c} {100 * get(c, k_sat)['server_user_share']:.0f} %"
                               for c in ours
                               if get(c, k_sat) and get(c, k_sat)["server_user_share"] is not None)
            add(f"saturation (K={k_sat}): server user-space share <= {USER_SHARE_MAX:.0%}",
                "MET" if o["server_user_share"] <= USER_SHARE_MAX else "MISSED",
                f"{setting} (the most replies/s at K={k_sat}): user {fmt(o['server_user_share'], '%')}"
                f" of its CPU, server busy {fmt(o['server_busy'], '', 2)} of a core, "
                f"{fmt(o['replies_per_s'], '1/s')}; all: {shares}")
        else:
            add("saturation: server user-space share", "N/A", "no server CPU figures")

    sp1 = get(SOCKPERF, 1)
    for busy, ratio in ((False, K1_P50_RATIO), (True, K1_BUSY_P50_RATIO)):
        configs = [c for c in ours if c.endswith("-bp") == busy]
        p50, c = best(1, configs, "p50_us", min)
        name = f"K=1: p50 {'with --busy-poll ' if busy else ''}<= {ratio}x sockperf's"
        if c and sp1 and sp1["p50_us"]:
            add(name, "MET" if p50 <= ratio * sp1["p50_us"] else "MISSED",
                f"{c}: p50 {fmt(p50, 'us')} = {p50 / sp1['p50_us']:.2f}x sockperf's "
                f"{fmt(sp1['p50_us'], 'us')} (limit {fmt(ratio * sp1['p50_us'], 'us', 2)})")
        else:
            add(name, "N/A", "needs " + ("busy-poll settings" if busy else "our settings")
                + " and sockperf at K=1")

    # On the fastest setting that does not spin: a spinning server's CPU is not work per request.
    k_lg = 16 if any(get(c, 16) for c in ours) else (ks[0] if ks else None)
    sleeping = [c for c in ours if not c.endswith("-bp")] or ours
    setting = best(k_lg, sleeping, "replies_per_s", max)[1] if k_lg else None
    o = get(setting, k_lg) if setting else None
    if o and o["loadgen_cpu_us"] is not None and o["server_cpu_us"]:
        r = o["loadgen_cpu_us"] / o["server_cpu_us"]
        add(f"loadgen CPU per request <= {LOADGEN_CPU_RATIO}x the server's",
            "MET" if r <= LOADGEN_CPU_RATIO else "MISSED",
            f"{setting}, K={k_lg}: loadgen {fmt(o['loadgen_cpu_us'], 'us', 2)} vs server "
            f"{fmt(o['server_cpu_us'], 'us', 2)} = {r:.2f}x")
    else:
        add(f"loadgen CPU per request <= {LOADGEN_CPU_RATIO}x the server's", "N/A",
            "no CPU figures")

    cases = (codec or {}).get("cases", {})
    answer64 = [v["ns"] for v in cases.values() if v["case"] == "Answer" and v["ints"] == 64]
    if answer64:
        worst = max(answer64)
        add(f"codec: decode + compute + encode reply <= {CODEC_TARGET_NS:.0f} ns with 64 integers",
            "MET" if worst <= CODEC_TARGET_NS else "MISSED",
            "protocol::answer, 64 integers: " + ", ".join(
                f"{v['format']} {v['ns']:.1f} ns" for v in cases.values()
                if v["case"] == "Answer" and v["ints"] == 64))
    else:
        add(f"codec <= {CODEC_TARGET_NS:.0f} ns with 64 integers", "N/A",
            (codec or {}).get("error", "codec benchmarks not run"))
    return targets


# ---- Report ----


def ratio(a, b):
    return f"{a / b:.2f}" if a is not None and b else "-"


def print_table(summary, codec, targets, meta):
    print(f"\nsockcalc benchmark {meta['timestamp']}: {meta['machine']['cpus']} CPUs, "
          f"kernel {meta['machine']['kernel']}, load average {meta['load_before']:.2f} before, "
          f"{meta['load_after']:.2f} after (a shared machine: other jobs inflate every figure)")
    print(f"medians of {meta['settings']['reps']} repetition(s), {meta['settings']['duration_s']} s "
          f"measured after {meta['settings']['warmup_s']} s of warm-up; xSP = ratio to sockperf's "
          f"server at the same K; lg/srv = loadgen CPU per request / server CPU per reply; "
          f"busy = server CPU used, in cores")
    print("placement: " + ("K = 1 with loadgen and server on one CPU, other K unpinned\n"
                           if meta["settings"]["placement"] == "auto" else "unpinned\n"))
    head = (f"{'setting':<13}{'K':>3} {'ints':>5} {'replies/s':>10} {'xSP':>5} {'p50 us':>7} "
            f"{'xSP':>5} {'p99 us':>8} {'xSP':>5} {'srv us':>7} {'xSP':>5} {'user':>6} "
            f"{'busy':>5} {'lg us':>6} {'lg/srv':>6}")
    print(head)
    print("-" * len(head))
    for (config, k, count), s in sorted(summary.items(),
                                        key=lambda kv: (kv[0][1], kv[0][2] or "",
                                                        ALL_CONFIGS.index(kv[0][0]))):
        sp = summary.get((SOCKPERF, k, None)) if count is None else None
        sp = sp or {}
        user = s["server_user_share"]
        print(f"{config:<13}{k:>3} {count or 'mix':>5} {fmt(s['replies_per_s'], '', 0):>10} "
              f"{ratio(s['replies_per_s'], sp.get('replies_per_s')):>5} "
              f"{fmt(s['p50_us']):>7} {ratio(s['p50_us'], sp.get('p50_us')):>5} "
              f"{fmt(s['p99_us']):>8} {ratio(s['p99_us'], sp.get('p99_us')):>5} "
              f"{fmt(s['server_cpu_us'], '', 2):>7} "
              f"{ratio(s['server_cpu_us'], sp.get('server_cpu_us')):>5} "
              f"{(f'{100 * user:.0f} %' if user is not None else '-'):>6} "
              f"{fmt(s['server_busy'], '', 2):>5} {fmt(s['loadgen_cpu_us'], '', 2):>6} "
              f"{ratio(s['loadgen_cpu_us'], s['server_cpu_us']):>6}"
              + ("" if s["good_reps"] == s["reps"] else f"  ({s['reps'] - s['good_reps']} failed)"))
    cases = (codec or {}).get("cases")
    if cases:
        print("\ncodec micro-benchmarks (CPU ns per request, median):")
        names = sorted({v["case"] for v in cases.values()},
                       key=["EncodeRequest", "DecodeRequest", "Compute", "EncodeReply",
                            "DecodeReply", "Answer"].index)
        print(f"{'case':<15}" + "".join(f"{f'{n} int/{f[:3]}':>12}" for n in (1, 16, 64)
                                         for f in ("integer", "string")))
        for name in names:
            row = {(v["ints"], v["format"]): v["ns"] for v in cases.values() if v["case"] == name}
            print(f"{name:<15}" + "".join(f"{row.get((n, f), float('nan')):>12.1f}"
                                         for n in (1, 16, 64) for f in ("integer", "string")))
    elif codec:
        print(f"\ncodec micro-benchmarks: {codec.get('error', 'not run')}")
    print("\ntargets:")
    for t in targets:
        print(f"  {t['status']:<6} {t['target']}\n         {t['detail']}")


def plot(path, summary, codec):
    try:
        import matplotlib
        matplotlib.use("Agg")
        import matplotlib.pyplot as plt
        from matplotlib.ticker import FuncFormatter
    except ImportError:
        return f"skipped: matplotlib is not importable by {sys.executable}"
    fig, axes = plt.subplots(2, 2, figsize=(12, 8.5))
    # Log scales for latency and CPU: busy polling spins, and its CPU per reply dwarfs the rest.
    panels = [(axes[0][0], "replies_per_s", "replies/s", False),
              (axes[0][1], "p50_us", "p50 latency (us)", True),
              (axes[1][0], "server_cpu_us", "server CPU per reply (us; busy polling spins)", True)]
    ks = sorted({k for (_, k, n) in summary if n is None})
    for ax, key, label, logy in panels:
        for config in ALL_CONFIGS:
            pts = sorted((k, s[key]) for (c, k, n), s in summary.items()
                         if c == config and n is None and s[key] is not None)
            if not pts:
                continue
            style = dict(color="black", linewidth=2.5) if config == SOCKPERF else {}
            ax.plot([p[0] for p in pts], [p[1] for p in pts], marker="o",
                    linestyle="--" if config.endswith("-bp") else "-", label=config, **style)
        ax.set_xscale("log", base=2)
        ax.set_xticks(ks, [str(k) for k in ks])
        ax.set_xlabel("concurrency K (requests in flight)")
        ax.set_ylabel(label)
        if logy:
            ax.set_yscale("log")
            plain = FuncFormatter(lambda v, _: f"{v:g}")
            ax.yaxis.set_major_formatter(plain)
            ax.yaxis.set_minor_formatter(plain)
            ax.tick_params(axis="y", which="minor", labelsize=7)
        ax.grid(True, alpha=0.3)
    axes[0][0].legend(fontsize=8)
    ax = axes[1][1]
    cases = (codec or {}).get("cases", {})
    for fmt_name, marker in (("integer", "o"), ("string", "s")):
        for case in ("DecodeRequest", "Answer"):
            pts = sorted((v["ints"], v["ns"]) for v in cases.values()
                         if v["case"] == case and v["format"] == fmt_name)
            if pts:
                ax.plot([p[0] for p in pts], [p[1] for p in pts], marker=marker,
                        label=f"{case}, {fmt_name} result")
    ax.axhline(CODEC_TARGET_NS, color="red", linestyle=":", label="target (64 integers)")
    ax.set_xlabel("integers per request")
    ax.set_ylabel("ns per request")
    ax.set_title("codec (protocol::answer = decode + compute + encode reply)", fontsize=9)
    ax.grid(True, alpha=0.3)
    if cases:
        ax.legend(fontsize=8)
    fig.suptitle("sockcalc server vs sockperf server, same loadgen, 127.0.0.1 "
                 "(medians; measured on a shared machine)")
    fig.tight_layout()
    fig.savefig(path, dpi=100)
    plt.close(fig)
    return f"written: {path}"


# ---- Main ----


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


def cpu_model():
    try:
        for line in Path("/proc/cpuinfo").read_text().splitlines():
            if line.startswith("model name"):
                return line.split(":", 1)[1].strip()
    except OSError:
        pass
    return platform.processor()


if __name__ == "__main__":
    try:
        sys.exit(main(sys.argv[1:]))
    except KeyboardInterrupt:
        sys.exit(130)
