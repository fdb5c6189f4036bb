#!/usr/bin/env python3
"""Print the ratio table of the `jws` benchmark as Markdown.

Reads criterion's results (target/criterion/**/new/{benchmark,estimates}.json) for the ids
verify/<alg>/<impl> and sign/<alg>/<impl> (impl: jwtkit, jsonwebtoken, bare; jwtkit-typed for
`jwtkit::verify_as` into the benchmark's struct; jwtkit-claims for verification followed by
building the claims map; jwtkit-claims_as for verification then `Verified::claims_as`) written by
`cargo bench -p jwtkit --bench jws`, and prints, per operation and algorithm, the time per
operation of each implementation, jwtkit/bare, jsonwebtoken/bare and jwtkit's throughput over
jsonwebtoken's, with the issue's targets checked. Times are criterion's median by default
(`--stat mean` or `--stat slope` to change), the robust choice on a shared machine.

Usage: scripts/bench-table.py [--stat median|mean|slope] [--dir target/criterion]
Exit status 0 even when a target is missed: this is a report, not a test.
"""
import argparse
import datetime
import json
import pathlib
import sys

ALGS = ["HS256", "RS256", "PS256", "ES256", "ES384", "EdDSA"]
IMPLS = ["jwtkit", "jsonwebtoken", "bare", "jwtkit-claims", "jwtkit-typed", "jwtkit-claims_as"]
# Rows: (label, criterion group prefix, the jwtkit implementation measured in that row).
ROWS = [("verify", "verify", "jwtkit"), ("verify + typed claims", "verify", "jwtkit-typed"), ("sign", "sign", "jwtkit")]


def load(root, stat):
    out, mtimes = {}, []
    for bench in root.glob("**/new/benchmark.json"):
        meta = json.loads(bench.read_text())
        est_file = bench.with_name("estimates.json")
        if not est_file.exists():
            continue
        est = json.loads(est_file.read_text())
        value = (est.get(stat) or est["median"])["point_estimate"]
        out[meta["full_id"]] = value
        mtimes.append(est_file.stat().st_mtime)
    return out, mtimes


def fmt_time(ns):
    if ns is None:
        return "–"
    if ns >= 1e6:
        return f"{ns / 1e6:.2f} ms"
    if ns >= 1e3:
        return f"{ns / 1e3:.2f} µs"
    return f"{ns:.0f} ns"


def ratio(a, b):
    return None if a is None or b is None or b == 0 else a / b


def fmt_ratio(r):
    return "–" if r is None else f"{r:.2f}×"


def target(op, alg, jk_bare, jwt_jk):
    """The issue's target for this row: (text, met or None)."""
    if op.startswith("verify") and alg == "HS256":
        return "jsonwebtoken/jwtkit ≥ 2", None if jwt_jk is None else jwt_jk >= 2.0
    if op == "sign" and alg == "HS256":
        return "(none)", None
    return "jwtkit/bare ≤ 1.10", None if jk_bare is None else jk_bare <= 1.10


def main():
    ap = argparse.ArgumentParser()
    ap.add_argument("--stat", default="median", choices=["median", "mean", "slope"])
    ap.add_argument("--dir", default=None)
    args = ap.parse_args()
    root = pathlib.Path(args.dir) if args.dir else pathlib.Path(__file__).resolve().parent.parent / "target/criterion"
    results, mtimes = load(root, args.stat)
    if not results:
        print(f"no criterion results under {root}; run: cargo bench -p jwtkit --bench jws", file=sys.stderr)
        return 1
    print(f"| op | alg | jwtkit | jsonwebtoken | bare aws-lc-rs | jwtkit / bare | jsonwebtoken / bare "
          f"| jwtkit throughput ÷ jsonwebtoken's | target | met | jwtkit, two passes |")
    print("|---|---|--:|--:|--:|--:|--:|--:|---|---|--:|")
    for label, op, ours in ROWS:
        for alg in ALGS:
            t = {i: results.get(f"{op}/{alg}/{i}") for i in IMPLS}
            if t[ours] is None:
                continue
            jk_bare = ratio(t[ours], t["bare"])
            jwt_bare = ratio(t["jsonwebtoken"], t["bare"])
            jwt_jk = ratio(t["jsonwebtoken"], t[ours])
            text, met = target(label, alg, jk_bare, jwt_jk)
            mark = "–" if met is None else ("yes" if met else "**no**")
            two_passes = {"verify": t["jwtkit-claims"], "verify + typed claims": t["jwtkit-claims_as"]}.get(label)
            print(f"| {label} | {alg} | {fmt_time(t[ours])} | {fmt_time(t['jsonwebtoken'])} | {fmt_time(t['bare'])} "
                  f"| {fmt_ratio(jk_bare)} | {fmt_ratio(jwt_bare)} | {fmt_ratio(jwt_jk)} | {text} | {mark} "
                  f"| {fmt_time(two_passes)} |")
    first, last = (datetime.datetime.fromtimestamp(m).strftime("%Y-%m-%d %H:%M:%S") for m in (min(mtimes), max(mtimes)))
    print(f"\nCriterion {args.stat} per operation; results written {first} – {last}. "
          "verify + typed claims: jwtkit::verify_as into the same 10-claim struct jsonwebtoken "
          "deserializes (one pass over the claims). jwtkit, two passes: for verify, verification then the "
          "claims map built (jwtkit builds it on first use); for verify + typed claims, jwtkit::verify then "
          "Verified::claims_as.")
    return 0


if __name__ == "__main__":
    sys.exit(main())
