# SPDX-License-Identifier: MIT
# bench/bench_procs.py -- internal to bench/run.py: the processes of a benchmark run (our server,
# sockperf's, loadgen, codec_bench), each started and stopped by its pid, and their --json read
# back. Single-threaded, except Scraper (one thread that scrapes a --metrics endpoint).

import json
import os
import re
import select
import signal
import socket
import subprocess
import sys
import tempfile
import threading
import time
import urllib.request
from pathlib import Path


from bench_matrix import (HOST, OUR_CONFIGS, PINNED_CPU, SCRAPE_INTERVAL_S, SOCKPERF,
                          WILDCARD)

START_TIMEOUT_S = 5.0  # a server that has not said it is ready by then failed to start
STOP_TIMEOUT_S = 5.0  # after SIGINT; then SIGKILL
SOCKPERF_PORT_TRIES = 3



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

