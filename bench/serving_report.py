"""Turns bench/serving.sh's measurements (JSON lines on stdin) into the serving section of
docs/benchmarks.md, replacing the previous one (between the serving markers)."""
import argparse
import datetime
import json
import os
import sys

from doc_section import replace_section


def main():
    parser = argparse.ArgumentParser()
    parser.add_argument("--ours-rss", type=float, required=True)
    parser.add_argument("--peer-rss", type=float, required=True)
    parser.add_argument("--peer-cold", type=float, required=True)
    parser.add_argument("--duration", required=True)
    parser.add_argument("--connections", required=True)
    parser.add_argument("--doc", required=True)
    args = parser.parse_args()
    runs = {r["label"]: r for r in (json.loads(line) for line in sys.stdin if line.strip())}

    direct = runs["mlopsd predict role, direct"]
    edge = runs["mlopsd predict role, through nginx"]
    peer = runs["FastAPI + uvicorn, 2 workers (peer)"]
    floor = runs["nginx return 200 (floor)"]
    batch = runs["mlopsd batch of 1,000, direct"]
    peer_batch = runs["FastAPI batch of 1,000 (peer)"]

    lines = [
        "## Serving (predict role)",
        "",
        f"`make bench-serving` (`bench/serving.sh`), {datetime.date.today()}, {os.cpu_count()} cores shared by server, "
        f"peer and load generator: wrk, 2 threads, {args.connections} connections, {args.duration} per row, one "
        "crashes record per request (the 300-round gradient boosting champion, promoted through the API), "
        "a user's JWT on every request. The peer is the original design's predict service: FastAPI + uvicorn "
        "with 2 workers, the equivalent scikit-learn/LightGBM pipeline, the same JWT checked with PyJWT. "
        "wrk's latencies are per request as it saw them (no correction for coordinated omission).",
        "",
        "| case | requests/s | p50 | p99 | non-200 |",
        "|---|---|---|---|---|",
    ]
    for run in (direct, edge, peer, floor):
        lines.append(f"| {run['label']} | {run['rps']:,.0f} | {run['p50']:.2f} ms | {run['p99']:.2f} ms | {run['non2xx']} |")
    for run in (batch, peer_batch):
        lines.append(f"| {run['label']} (4 connections) | {run['rps'] * 1000:,.0f} records/s | {run['p50']:.2f} ms "
                     f"| {run['p99']:.2f} ms | {run['non2xx']} |")
    lines += [
        "",
        f"- Direct: **{direct['rps'] / peer['rps']:.0f}×** the peer's throughput, "
        f"**{100 * direct['rps'] / floor['rps']:.0f}%** of the nginx floor; through nginx: "
        f"{edge['rps'] / peer['rps']:.0f}× the peer, p99 {edge['p99']:.2f} ms.",
        f"- Batches: {batch['rps'] * 1000 / (peer_batch['rps'] * 1000):.1f}× the peer's records/s.",
        f"- Memory after the run: predict role {args.ours_rss:.0f} MB RSS; peer {args.peer_rss:.0f} MB (master + 2 workers). "
        f"Peer cold start to its first answer: {args.peer_cold} s.",
    ]
    print(replace_section(args.doc, "serving", lines))


if __name__ == "__main__":
    main()
