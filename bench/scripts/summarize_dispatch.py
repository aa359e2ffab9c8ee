#!/usr/bin/env python3
"""ns per lookup and ratio to matchit from bench/target/criterion (run after `cargo bench --bench dispatch`)."""

import json
import os

ROOT = os.path.join(os.path.dirname(__file__), "..", "target", "criterion")
SIZES = {"github130": 130, "github203": 203}

for group, n in SIZES.items():
    gdir = os.path.join(ROOT, group)
    if not os.path.isdir(gdir):
        continue
    res = {}
    for router in sorted(os.listdir(gdir)):
        est = os.path.join(gdir, router, group, "new", "estimates.json")
        if os.path.exists(est):
            e = json.load(open(est))
            res[router] = (e["median"]["point_estimate"] / n, e["mean"]["confidence_interval"])
    base = res["matchit"][0]
    print(f"\n### {group}: {n} lookups per iteration\n")
    print("| router | ns/lookup (median) | mean 95% CI ns/lookup | x matchit |")
    print("|---|---:|---:|---:|")
    for router, (ns, ci) in sorted(res.items(), key=lambda kv: kv[1][0]):
        print(f"| {router} | {ns:.1f} | {ci['lower_bound'] / n:.1f} to {ci['upper_bound'] / n:.1f} | {ns / base:.2f} |")
