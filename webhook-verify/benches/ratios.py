#!/usr/bin/env python3
"""Ratios of the `verify` bench: every scheme against its own floor and against the peer.

Usage: python3 webhook-verify/benches/ratios.py [target/criterion]
Reads <dir>/verify_<size>/<function>/new/estimates.json (criterion's median, ns per iteration)
and .../new/sample.json (the fastest sample, ns per iteration). Functions: `floor-S`, `S` and,
when the run had the rival (webhook-verify-peer-bench), `rival-S`; `svix` next to `standard`.
On a shared machine other processes only ever add time, so the fastest-sample ratios are the
less noisy ones; both are shown.

Goals (issue): at 1 KiB, time <= 1.20 x the floor (standard <= 1.25 x); at 64 KiB, throughput
>= 0.95 x the floor (time <= 1 / 0.95 x).
"""
import json
import pathlib
import sys

root = pathlib.Path(sys.argv[1] if len(sys.argv) > 1 else "target/criterion")
sizes = ["256B", "1KiB", "64KiB", "1MiB"]
schemes = ["hmac-sha256", "standard", "stripe", "github", "slack", "shopify", "zoom", "paddle",
           "twitch", "dropbox", "meta", "gitlab", "square", "hubspot", "twilio", "linear",
           "mailgun"]


def load(size, func, kind):
    d = root / f"verify_{size}" / func / "new"
    try:
        if kind == "median":
            return json.loads((d / "estimates.json").read_text())["median"]["point_estimate"]
        sample = json.loads((d / "sample.json").read_text())
        return min(t / n for t, n in zip(sample["times"], sample["iters"]))
    except FileNotFoundError:
        return None


def goal(size, scheme, ratio):
    if size == "1KiB":
        limit = 1.25 if scheme == "standard" else 1.20
        return f"≤ {limit:.2f}: " + ("met" if ratio <= limit else "MISSED")
    if size == "64KiB":
        thr = 1 / ratio
        return f"thr {thr:.2f} ≥ 0.95: " + ("met" if thr >= 0.95 else "MISSED")
    return ""


def us(ns):
    return "—" if ns is None else (f"{ns / 1000:.2f}" if ns < 100_000 else f"{ns / 1000:.0f}")


def report(kind):
    print(f"## {'Fastest sample' if kind == 'fastest' else 'Median (criterion)'}")
    for size in sizes:
        rows = []
        for s in schemes:
            t, f, r = (load(size, n, kind) for n in (s, f"floor-{s}", f"rival-{s}"))
            if t is None or f is None:
                continue
            rows.append((s, t, f, r))
        if not rows:
            continue
        print(f"\n### {size}\n")
        print("| scheme | ours (µs) | floor (µs) | ours / floor | goal | peer (µs) | peer / floor | peer / ours |")
        print("|---|---|---|---|---|---|---|---|")
        for s, t, f, r in rows:
            peer = ("—", "—", "—") if r is None else (us(r), f"{r / f:.2f}", f"{r / t:.2f}")
            print(f"| {s} | {us(t)} | {us(f)} | {t / f:.2f} | {goal(size, s, t / f)} | "
                  f"{peer[0]} | {peer[1]} | {peer[2]} |")
        sv, st = load(size, "svix", kind), load(size, "standard", kind)
        if sv is not None and st is not None:
            print(f"\nsvix: {us(sv)} µs, {sv / st:.2f} x standard's time")
    print()


report("fastest")
report("median")
