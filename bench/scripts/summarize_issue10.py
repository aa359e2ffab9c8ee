#!/usr/bin/env python3
"""Medians and ratios of a files/uploads/ws TSV: summarize_issue10.py TSV CASE_COLUMN REFERENCE_SERVER.

Rows are grouped by CASE_COLUMN and `server`; every numeric column gets its median over the rounds,
and the ratio of that median to the reference server's in the same case. Printed as Markdown.
"""
import csv
import statistics
import sys
from collections import defaultdict

path, case_col, ref = sys.argv[1], sys.argv[2], sys.argv[3]
rows = list(csv.DictReader(open(path), delimiter="\t"))
skip = {case_col, "server", "round", "errors", "status"}
cols = [c for c in rows[0] if c not in skip]
groups = defaultdict(lambda: defaultdict(list))
for r in rows:
    for c in cols:
        try:
            groups[(r[case_col], r["server"])][c].append(float(r[c]))
        except ValueError:
            pass

for case in dict.fromkeys(r[case_col] for r in rows):
    servers = list(dict.fromkeys(r["server"] for r in rows if r[case_col] == case))
    print(f"\n### {case_col} = {case} (median of {len(groups[(case, servers[0])][cols[0]])})\n")
    print("| server | " + " | ".join(cols) + " |")
    print("|---" * (len(cols) + 1) + "|")
    for s in servers:
        cells = []
        for c in cols:
            vals = groups[(case, s)][c]
            if not vals:
                cells.append("-")
                continue
            m = statistics.median(vals)
            refvals = groups[(case, ref)][c]
            cell = f"{m:g}"
            if c != "load1" and refvals and s != ref and statistics.median(refvals):
                cell += f" ({m / statistics.median(refvals):.2f}x)"
            cells.append(cell)
        print(f"| {s} | " + " | ".join(cells) + " |")
errs = [r for r in rows if r.get("errors", "none") not in ("none", "")]
for r in errs:
    print(f"errors: {r[case_col]} round {r['round']} {r['server']}: {r['errors']}")
