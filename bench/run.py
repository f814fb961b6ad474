#!/usr/bin/env python3
"""Runs every benchmark once, with a progress line, and writes the report.

    bench/run.py --build build/release --out bench-report         (make bench)
    bench/run.py --build build/release --out DIR --smoke          (make bench-smoke)

Each measurement is one `amp-bench` invocation printing one JSON object.
The set of measurements is CASES below; a case whose transport or cost rig is
not registered in this build (`amp-bench list`) is reported as not measured,
never guessed. Raw results go to OUT/raw.json, then report.py renders
results.json, report.md and latency.png from them.
"""
import argparse
import json
import os
import re
import shutil
import subprocess
import sys
import time
from dataclasses import dataclass, field

sys.dont_write_bytecode = True  # no __pycache__ in the source tree
sys.path.insert(0, os.path.dirname(os.path.abspath(__file__)))
import report  # noqa: E402  (bench/report.py)

NOT_BUILT = ("the shared-memory link has no benchmark transport in this build "
             "(bench/src/link_amp_shm.cpp registers them; see bench/README.md, "
             "'The shared-memory link in the benchmarks')")


@dataclass
class Case:
    key: str      # the results.json key, e.g. "amp_adaptive_32"
    kind: str     # rtt | stream | memcpy | clock | cost
    target: str   # transport or cost rig ('' for memcpy and clock)
    size: str     # "32" or "max"
    result: dict = field(default_factory=dict)
    error: str = ""
    skipped: str = ""


def build_cases():
    """Every measurement of a full run, in the order they run (report.py names them)."""
    cases = []
    for t in report.RTT_TRANSPORTS:
        for size in report.SIZES:
            cases.append(Case(f"{t}_{size}", "rtt", t, size))
    cases.append(Case("spin_floor", "rtt", "spin_line", "32"))
    for t in report.STREAM_TRANSPORTS:
        for size in report.SIZES:
            cases.append(Case(f"{t}_{size}", "stream", t, size))
    for size in report.SIZES:
        cases.append(Case(f"memcpy_{size}", "memcpy", "", size))
    cases.append(Case("clock_read", "clock", "", ""))
    for rig in report.COST_RIGS:
        for size in report.SIZES:
            cases.append(Case(f"{rig}_{size}", "cost", rig, size))
    return cases


class Progress:
    """One status line on stderr: redrawn in place on a terminal, else one line per step."""

    def __init__(self, total_estimate):
        self.tty = sys.stderr.isatty()
        self.total = max(total_estimate, 1e-9)
        self.done_estimate = 0.0
        self.started = time.monotonic()

    def _line(self, text):
        if self.tty:
            sys.stderr.write("\r\x1b[K" + text)
            sys.stderr.flush()

    def tick(self, label, step_start, estimate):
        into = min(time.monotonic() - step_start, estimate)
        frac = min((self.done_estimate + into) / self.total, 1.0)
        bar = "#" * int(frac * 24)
        elapsed = time.monotonic() - self.started
        self._line(f"bench [{bar:<24}] {frac * 100:3.0f}%  {elapsed:4.0f} s  {label}")

    def finish_step(self, label, estimate, status):
        self.done_estimate += estimate
        if self.tty:
            if status != "ok":
                sys.stderr.write(f"\r\x1b[K{label}: {status}\n")
        else:
            sys.stderr.write(f"bench: {label}: {status}\n")
        sys.stderr.flush()

    def close(self):
        self._line("")


def run_tool(argv, progress, label, step_start, estimate):
    """Runs argv with the progress line alive; returns (rc, stdout, stderr)."""
    proc = subprocess.Popen(argv, stdout=subprocess.PIPE, stderr=subprocess.PIPE, text=True)
    while True:
        try:
            out, err = proc.communicate(timeout=0.25)
            return proc.returncode, out, err
        except subprocess.TimeoutExpired:
            progress.tick(label, step_start, estimate)


def callgrind_cost(bench, case, counts, keep_dir, progress, label, step_start, estimate):
    """Instructions per message by the difference method (see bench/README.md)."""
    totals, profiles = [], []
    for n in counts:
        out_file = os.path.join(keep_dir, f"callgrind.{case.key}.{n}.out")
        argv = ["valgrind", "--tool=callgrind", f"--callgrind-out-file={out_file}",
                bench, "cost", "--rig", case.target, "--size", case.size, "--messages", str(n)]
        rc, out, err = run_tool(argv, progress, label, step_start, estimate)
        if rc != 0:
            raise RuntimeError(err.strip().splitlines()[-1] if err.strip() else f"exit {rc}")
        run = json.loads(out.strip().splitlines()[-1])
        with open(out_file) as f:
            m = re.search(r"^totals:\s+(\d+)", f.read(), re.M)
        if not m:
            raise RuntimeError(f"no totals line in {out_file}")
        totals.append(int(m.group(1)))
        profiles.append(function_profile(out_file))
    # Keep the largest run for inspection (callgrind_annotate / kcachegrind).
    for n in counts[:-1]:
        os.remove(os.path.join(keep_dir, f"callgrind.{case.key}.{n}.out"))
    os.replace(os.path.join(keep_dir, f"callgrind.{case.key}.{counts[-1]}.out"),
               os.path.join(keep_dir, f"callgrind.{case.key}.out"))

    steps = [(totals[i + 1] - totals[i]) / (counts[i + 1] - counts[i]) for i in range(len(counts) - 1)]
    per_msg = (totals[-1] - totals[0]) / (counts[-1] - counts[0])
    functions = {}
    for name, ir in profiles[-1].items():
        d = (ir - profiles[0].get(name, 0)) / (counts[-1] - counts[0])
        if abs(d) >= 0.5:
            functions[name] = round(d, 1)
    functions = dict(sorted(functions.items(), key=lambda kv: -kv[1])[:12])
    return {"kind": "cost", "rig": case.target, "size": run["size"], "messages": counts,
            "ir_totals": totals, "instructions_per_message": per_msg,
            "exact": all(s == steps[0] for s in steps), "per_function": functions}


def function_profile(out_file):
    """Self instructions per function of one callgrind run."""
    text = subprocess.run(["callgrind_annotate", "--threshold=100", "--auto=no", out_file],
                          capture_output=True, text=True, check=True).stdout
    funcs = {}
    for line in text.splitlines():
        m = re.match(r"^\s*([\d,]+)\s+(?:\([^)]*\)\s+)?(\S.*)$", line)
        if not m or "PROGRAM TOTALS" in line:
            continue
        name = re.sub(r"\s+\[[^\]]*\]$", "", m.group(2))  # the object file
        f = re.match(r"^(\?\?\?|[^:]*?):(?!:)(.*)$", name)   # the source file
        name = strip_parameters(f.group(2) if f else name)
        funcs[name] = funcs.get(name, 0) + int(m.group(1).replace(",", ""))
    return funcs


def strip_parameters(name):
    """'ns::f(int, std::span<char>) const' -> 'ns::f'."""
    name = re.sub(r"\s+const$", "", name)
    if not name.endswith(")"):
        return name
    depth = 0
    for i in range(len(name) - 1, -1, -1):
        depth += {")": 1, "(": -1}.get(name[i], 0)
        if depth == 0:
            return name[:i]
    return name


def main():
    ap = argparse.ArgumentParser(description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter)
    ap.add_argument("--build", default="build/release", help="CMake build directory")
    ap.add_argument("--out", default="bench-report", help="where the report goes")
    ap.add_argument("--smoke", action="store_true", help="tiny counts: checks that it all works")
    ap.add_argument("--seconds", type=float, default=3.0, help="per timed figure (full run)")
    ap.add_argument("--no-pin", action="store_true", help="do not pin the two processes")
    args = ap.parse_args()

    bench = os.path.join(args.build, "bench", "amp-bench")
    if not os.access(bench, os.X_OK):
        sys.exit(f"bench: {bench} is missing; build it first (make bench)")
    os.makedirs(args.out, exist_ok=True)
    keep_dir = os.path.join(args.out, "callgrind")
    shutil.rmtree(keep_dir, ignore_errors=True)
    os.makedirs(keep_dir)

    listing = json.loads(subprocess.run([bench, "list"], capture_output=True, text=True,
                                        check=True).stdout)
    transports = {t["name"]: t for t in listing["transports"]}
    rigs = {r["name"]: r for r in listing["cost_rigs"]}
    have_valgrind = shutil.which("valgrind") and shutil.which("callgrind_annotate")

    if args.smoke:
        timed = ["--count", "300", "--warmup", "20", "--verify"]
        streamed = ["--count", "3000", "--warmup", "100", "--verify"]
        copies = ["--count", "4096"]
        cost_counts = [10, 20, 30]
    else:
        timed = ["--seconds", str(args.seconds)]
        streamed = ["--seconds", str(args.seconds)]
        copies = ["--seconds", str(min(args.seconds, 1.0))]
        cost_counts = [20000, 40000, 60000]
    pin = ["--no-pin"] if args.no_pin else []

    cases = build_cases()
    for c in cases:
        if c.kind in ("rtt", "stream") and c.target not in transports:
            c.skipped = NOT_BUILT if c.target in report.AMP_MODES else f"transport {c.target} not built"
        elif c.kind == "cost" and c.target not in rigs:
            c.skipped = NOT_BUILT if c.target == report.AMP_RIG else f"cost rig {c.target} not built"
        elif c.kind == "cost" and not have_valgrind:
            c.skipped = "valgrind (callgrind) is not installed"

    def estimate(c):
        if c.skipped:
            return 0.0
        if args.smoke:
            return 2.0 if c.kind == "cost" else 0.2
        return {"rtt": args.seconds + 0.5, "stream": args.seconds + 0.5, "memcpy": 1.0,
                "clock": 0.2, "cost": 6.0}[c.kind]

    load_before = os.getloadavg()[0]
    progress = Progress(sum(estimate(c) for c in cases))
    todo = [c for c in cases if not c.skipped]
    for i, c in enumerate(todo, 1):
        label = f"[{i}/{len(todo)}] {c.kind} {c.key}"
        est = estimate(c)
        step_start = time.monotonic()
        progress.tick(label, step_start, est)
        try:
            if c.kind == "cost":
                c.result = callgrind_cost(bench, c, cost_counts, keep_dir, progress, label,
                                          step_start, est)
            else:
                argv = [bench, c.kind]
                if c.kind in ("rtt", "stream"):
                    argv += ["--transport", c.target, "--size", c.size]
                    argv += (timed if c.kind == "rtt" else streamed) + pin
                elif c.kind == "memcpy":
                    argv += ["--size", c.size] + copies
                rc, out, err = run_tool(argv, progress, label, step_start, est)
                lines = out.strip().splitlines()
                if lines:
                    c.result = json.loads(lines[-1])
                if rc != 0:
                    raise RuntimeError(" / ".join(err.strip().splitlines()[-3:]) or f"exit {rc}")
        except Exception as e:  # a failed case is reported, and fails the run
            c.error = str(e)
        progress.finish_step(label, est, "FAILED: " + c.error if c.error else "ok")
    progress.close()

    raw = {
        "smoke": args.smoke,
        "pinned": not args.no_pin and len(listing["cpus"]) >= 2,
        "cpus": listing["cpus"],
        "transports": listing["transports"],
        "cost_rigs": listing["cost_rigs"],
        "cost_counts": cost_counts,
        "load_average": [round(load_before, 2), round(os.getloadavg()[0], 2)],
        "seconds": None if args.smoke else args.seconds,
        "cases": [{"key": c.key, "kind": c.kind, "target": c.target, "size": c.size,
                   "result": c.result, "error": c.error, "skipped": c.skipped} for c in cases],
    }
    with open(os.path.join(args.out, "raw.json"), "w") as f:
        json.dump(raw, f, indent=1)
    problems = report.generate(args.out, raw)
    failed = [c for c in cases if c.error]
    print(f"bench: report in {args.out}/ (report.md, results.json, latency.png)", file=sys.stderr)
    for p in problems:
        print(f"bench: {p}", file=sys.stderr)
    if failed:
        print(f"bench: {len(failed)} measurement(s) failed: "
              + ", ".join(f"{c.kind} {c.key}" for c in failed), file=sys.stderr)
    return 1 if failed or problems else 0


if __name__ == "__main__":
    sys.exit(main())
