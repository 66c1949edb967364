#!/usr/bin/env python3
"""Sum a Chrome trace written by LibTorch's profiler (GANVAS_BENCH_TRACE=FILE in the benches) by
operator (and input shapes where the trace has them): where a step's time goes, self time first (an operator's time minus the
operators it called). Debian's python3 is enough.

    python3 bench/trace_summary.py TRACE.json [--top 30] [--steps 2]
"""
import argparse
import collections
import json


def main():
    parser = argparse.ArgumentParser()
    parser.add_argument("trace")
    parser.add_argument("--top", type=int, default=30)
    parser.add_argument("--steps", type=int, default=2, help="steps in the trace (times are per step)")
    args = parser.parse_args()
    with open(args.trace) as f:
        trace = json.load(f)
    # LibTorch's RecordProfile writes a bare list of events (no shapes); Kineto an object.
    events = [e for e in (trace["traceEvents"] if isinstance(trace, dict) else trace) if e.get("ph") == "X"]
    # Self time: per thread, an event's duration minus that of the events nested directly in it.
    by_thread = collections.defaultdict(list)
    for e in events:
        by_thread[e.get("tid")].append(e)
    total = collections.Counter()
    calls = collections.Counter()
    wall = 0.0
    for evs in by_thread.values():
        evs.sort(key=lambda e: (e["ts"], -e["dur"]))
        stack = []
        self_time = {}
        for e in evs:
            while stack and stack[-1]["ts"] + stack[-1]["dur"] <= e["ts"]:
                stack.pop()
            self_time[id(e)] = e["dur"]
            if stack:
                self_time[id(stack[-1])] -= e["dur"]
            else:
                wall += e["dur"]
            stack.append(e)
        for e in evs:
            shapes = e.get("args", {}).get("Input dims", "")
            key = (e["name"], str(shapes)[:90])
            total[key] += self_time[id(e)]
            calls[key] += 1
    print(f"top-level time per step: {wall / args.steps / 1000:.1f} ms")
    print(f"{'self ms/step':>12} {'calls':>6}  operator  shapes")
    for (name, shapes), us in total.most_common(args.top):
        print(f"{us / args.steps / 1000:12.2f} {calls[(name, shapes)] // args.steps:6d}  {name}  {shapes}")


if __name__ == "__main__":
    main()
