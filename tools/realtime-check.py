#!/usr/bin/env python3
"""Realtime against virtual time: the same outcome, the same drain time.

Runs the given scenarios once in virtual time and once in realtime per scale
(`chunksim run --mode realtime --set run.realtime_scale=S`, recording
nothing), and prints one row per scenario: the outcome, the drain time in
each mode, its difference from virtual time, and the wall time of the
realtime run. A realtime run agrees when its outcome is the virtual one and
its drain time is within the tolerance of the virtual drain time; it must
also not have finished sooner than its drain time allows on the wall clock
(drain x scale), or it was not paced at all. Exit status: 0 every run
agrees, 1 some did not, 2 chunksim could not run them.

A realtime run takes about the simulated time times the scale: the whole
starter library (scenarios/*.ini) simulates about 430 s, so scale 1 takes
about 7 minutes and scale 0.1 about 45 s.

Usage: tools/realtime-check.py [--chunksim BIN] [--scale S]... [--tolerance F]
                               [--set KEY=VALUE]... SCENARIO...
"""
import argparse
import json
import os
import subprocess
import sys

REPO = os.path.dirname(os.path.dirname(os.path.abspath(__file__)))
DEFAULT_BIN = os.path.join(REPO, "build", "default", "tools", "chunksim")


def run_all(binary, scenarios, mode_args, sets):
    """One `chunksim run --json` over every scenario; its rows in order."""
    cmd = [binary, "run", *scenarios, "--db", "", "--json", "-q", *mode_args]
    for kv in sets:
        cmd += ["--set", kv]
    proc = subprocess.run(cmd, stdout=subprocess.PIPE, stderr=subprocess.PIPE, text=True)
    # 1 only says some run's outcome differs from its [run] expect: that is
    # not this check's business (overrides may change outcomes).
    if proc.returncode not in (0, 1):
        sys.stderr.write(proc.stderr)
        sys.exit(f"realtime-check: {' '.join(cmd)} exited {proc.returncode}")
    rows = json.loads(proc.stdout)
    if len(rows) != len(scenarios):
        sys.exit(f"realtime-check: {len(rows)} results for {len(scenarios)} scenarios")
    return rows


def compare(virt, real, scale, tolerance):
    """What is wrong with one realtime run, or None."""
    if real["outcome"] != virt["outcome"]:
        return f"outcome {real['outcome']} (virtual: {virt['outcome']})"
    v_us, r_us = virt["metrics"]["drain_us"], real["metrics"]["drain_us"]
    if abs(r_us - v_us) > tolerance * v_us:
        return f"drain {r_us} us against {v_us} us"
    # Events never run before their deadline, and the run lasts at least
    # until its drain time: a faster run ignored the wall clock.
    if real["wall_ms"] * 1e3 < r_us * scale:
        return f"wall {real['wall_ms']:.1f} ms: shorter than drain x scale"
    return None


def main():
    ap = argparse.ArgumentParser(description=__doc__.split("\n")[0])
    ap.add_argument("--chunksim", default=DEFAULT_BIN, help="the chunksim binary")
    ap.add_argument("--scale", type=float, action="append",
                    help="realtime_scale to check (repeatable; default 1 and 0.1)")
    ap.add_argument("--tolerance", type=float, default=0.02,
                    help="largest relative drain-time difference (default 0.02)")
    ap.add_argument("--set", action="append", default=[], metavar="KEY=VALUE",
                    help="override for every run, as chunksim run --set")
    ap.add_argument("scenarios", nargs="+")
    args = ap.parse_args()
    scales = args.scale or [1.0, 0.1]

    virt = run_all(args.chunksim, args.scenarios, ["--mode", "virtual"], args.set)
    sim_s = sum(r["metrics"]["drain_us"] for r in virt) / 1e6
    real = {}
    for scale in scales:
        print(f"realtime at scale {scale:g}: about {sim_s * scale:.0f} s ...", file=sys.stderr)
        real[scale] = run_all(args.chunksim, args.scenarios,
                              ["--mode", "realtime", "--set", f"run.realtime_scale={scale!r}"],
                              args.set)

    head = f"{'scenario':32} {'outcome':10} {'virtual_s':>11}"
    for scale in scales:
        head += f" | {f'rt@{scale:g}_s':>11} {'diff%':>6} {'wall_s':>7}"
    print(head + " | agree")
    problems = []
    for i, v in enumerate(virt):
        line = f"{v['scenario']:32} {v['outcome']:10} {v['metrics']['drain_us'] / 1e6:11.6f}"
        wrong = []
        for scale in scales:
            r = real[scale][i]
            v_us, r_us = v["metrics"]["drain_us"], r["metrics"]["drain_us"]
            diff = 100.0 * (r_us - v_us) / v_us if v_us else 0.0
            line += f" | {r_us / 1e6:11.6f} {diff:+6.2f} {r['wall_ms'] / 1e3:7.2f}"
            why = compare(v, r, scale, args.tolerance)
            if why is not None:
                wrong.append(f"scale {scale:g}: {why}")
        print(line + (" | yes" if not wrong else " | NO"))
        problems += [f"  {v['scenario']}: {w}" for w in wrong]
    for p in problems:
        print(p)
    n = len(virt) * len(scales)
    print(f"{n} realtime run(s) against virtual time, tolerance {args.tolerance:.0%}: "
          f"{len(problems)} disagree(s)")
    return 1 if problems else 0


if __name__ == "__main__":
    sys.exit(main())
