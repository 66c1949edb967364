"""Medians of interleaved benchmark rounds against the faster PyTorch peer.

Reads the JSON lines the ganvas benchmarks and their Python peers print (impl, train_step_s,
infer_ms, peak_rss_mb, step_gflop; optionally model, width, batch). Rows with a "model" field are
summarised per model. Used by run_sketchygan_bench.sh and run_avx2_sim.sh.
    python3 bench/bench_summary.py ROWS.jsonl
"""
import json
import statistics
import sys


def summarise(rows, title):
    gflop = next(r["step_gflop"] for r in rows if "step_gflop" in r)
    shape = f"width {rows[0]['width']}, batch {rows[0]['batch']}" if "width" in rows[0] else "the reference defaults"
    print(f"{title}convolution work of one step: {gflop:.1f} GFLOP ({shape})")
    print(f"{'implementation':34}{'s/step':>9}{'GFLOP/s':>9}{'peak MB':>9}{'infer ms':>10}  steps")
    by = {}
    for r in rows:
        by.setdefault(r["impl"], []).append(r)
    med, inf = {}, {}
    for impl, rs in by.items():
        times = [r["train_step_s"] for r in rs]
        med[impl] = statistics.median(times)
        inf[impl] = statistics.median(r["infer_ms"] for r in rs)
        print(f"{impl:34}{med[impl]:9.3f}{gflop / med[impl]:9.1f}{max(r['peak_rss_mb'] for r in rs):9.0f}"
              f"{inf[impl]:10.2f}  " + " ".join(f"{t:.3f}" for t in times))
    peers = [k for k in med if k.startswith("pytorch")]
    step_peer, infer_peer = min(peers, key=med.get), min(peers, key=inf.get)
    for impl in med:
        if not impl.startswith("pytorch"):
            # Round by round: the i-th run of impl against the i-th run of the peer (both ran in round i).
            rounds = [p["train_step_s"] / r["train_step_s"] for r, p in zip(by[impl], by[step_peer])]
            print(f"{impl}: step {med[step_peer] / med[impl]:.2f}x the faster peer ({step_peer}; rounds "
                  + " ".join(f"{x:.2f}" for x in rounds)
                  + f"), inference {inf[infer_peer] / inf[impl]:.2f}x ({infer_peer})")


def main(path):
    rows = [json.loads(line) for line in open(path) if line.strip().startswith("{")]
    models = list(dict.fromkeys(r.get("model", "") for r in rows))
    for model in models:
        summarise([r for r in rows if r.get("model", "") == model], f"{model}: " if model else "")


if __name__ == "__main__":
    main(sys.argv[1])
