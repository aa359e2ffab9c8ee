#!/usr/bin/env python3
"""Medians per (mode, body, server) of a bench/load.sh TSV, with each server's ratio to axum."""

import csv
import statistics
import sys
from collections import defaultdict

rows = list(csv.DictReader(open(sys.argv[1]), delimiter="\t"))
cells = defaultdict(list)
for r in rows:
    cells[(r["mode"], r["body"], r["server"])].append(r)

def med(key, xs):
    return statistics.median(float(x[key]) for x in xs)

servers = []
for r in rows:
    if r["server"] not in servers:
        servers.append(r["server"])
for mode in dict.fromkeys(r["mode"] for r in rows):
    for body in dict.fromkeys(r["body"] for r in rows):
        n = len(cells[(mode, body, servers[0])])
        print(f"\n### {mode}, {body} (median of {n})\n")
        print("| server | req/s | x axum | p99 µs | CPU µs/req | x axum | x bare |")
        print("|---|---:|---:|---:|---:|---:|---:|")
        ax = cells[(mode, body, "axum")]
        bare = cells[(mode, body, "bare")]
        for s in servers:
            xs = cells[(mode, body, s)]
            rps, p99, cpu = med("req_per_s", xs), med("p99_us", xs), med("cpu_us_per_req", xs)
            print(f"| {s} | {rps:,.0f} | {rps / med('req_per_s', ax):.2f} | {p99:,.0f} | {cpu:.2f} | "
                  f"{cpu / med('cpu_us_per_req', ax):.2f} | {cpu / med('cpu_us_per_req', bare):.2f} |")
