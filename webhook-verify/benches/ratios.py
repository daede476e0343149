#!/usr/bin/env python3
"""Ratios of the `verify` bench (issue 3's goals), from criterion's saved estimates.

Usage: python3 webhook-verify/benches/ratios.py [target/criterion]
Reads <dir>/verify_<size>/<function>/new/estimates.json (criterion's median, ns per iteration)
and .../new/sample.json (the fastest sample, ns per iteration). On a shared machine other
processes only ever add time, so the fastest-sample ratios are the less noisy ones; both are shown.
"""
import json
import pathlib
import sys

root = pathlib.Path(sys.argv[1] if len(sys.argv) > 1 else "target/criterion")
sizes = [("256B", 256), ("1KiB", 1024), ("64KiB", 65536), ("1MiB", 1048576)]
funcs = ["floor", "hmac-sha256", "standard", "stripe", "svix"]


def median_ns(size, func):
    path = root / f"verify_{size}" / func / "new" / "estimates.json"
    return json.loads(path.read_text())["median"]["point_estimate"]


def fastest_ns(size, func):
    sample = json.loads((root / f"verify_{size}" / func / "new" / "sample.json").read_text())
    return min(t / n for t, n in zip(sample["times"], sample["iters"]))


def report(title, estimate):
    print(f"### {title}")
    print()
    table(estimate)
    goals(estimate)
    print()


def table(estimate):
    print("| body | " + " | ".join(f"{f} (µs)" for f in funcs)
          + " | hmac-sha256 / floor (time) | throughput vs floor: hmac-sha256, standard, stripe | svix / standard (time) |")
    print("|---" * (len(funcs) + 4) + "|")
    for size, n in sizes:
        t = {f: estimate(size, f) for f in funcs}
        times = " | ".join(f"{t[f] / 1000:.2f}" for f in funcs)
        thr = ", ".join(f"{t['floor'] / t[f]:.2f}" for f in ("hmac-sha256", "standard", "stripe"))
        print(f"| {size} | {times} | {t['hmac-sha256'] / t['floor']:.2f} | {thr} | {t['svix'] / t['standard']:.2f} |")


def goals(estimate):
    t1 = {f: estimate("1KiB", f) for f in funcs}
    t64 = {f: estimate("64KiB", f) for f in funcs}
    goal = lambda ok: "met" if ok else "MISSED"
    r = t1["hmac-sha256"] / t1["floor"]
    print(f"- hmac-sha256 verify at 1 KiB: {r:.2f} x the floor's time (goal <= 1.20: {goal(r <= 1.20)})")
    for f in ("hmac-sha256", "standard", "stripe"):
        r = t64["floor"] / t64[f]
        print(f"- {f} at 64 KiB: {r:.2f} x the floor's throughput (goal >= 0.95: {goal(r >= 0.95)})")
    r = t1["svix"] / t1["standard"]
    print(f"- standard vs svix at 1 KiB: {r:.2f} x faster (goal >= 4: {goal(r >= 4)})")


report("Median (criterion's estimate)", median_ns)
report("Fastest sample", fastest_ns)
