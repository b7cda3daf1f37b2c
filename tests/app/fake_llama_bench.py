#!/usr/bin/env python3
# Test double for llama.cpp's llama-bench (never shipped, never run by the product): accepts the
# options `atelier-cli bench --compare-llama-bench` passes, logs each command line to
# $FAKE_LLAMA_BENCH_LOG, and prints llama-bench's -o json shape with rates that follow from the
# request (prefill 1000 + C tok/s for -p C, decode 10 + D/1000 tok/s at depth D), so the test can
# check Atelier's ratios against them. FAKE_LLAMA_BENCH_FAIL=1 fails as a build without the
# model's architecture does; FAKE_LLAMA_BENCH_NO_DEPTH=1 omits n_depth like a build without -d.
import json, os, sys

args = sys.argv[1:]
log = os.environ.get("FAKE_LLAMA_BENCH_LOG")
if log:
    with open(log, "a") as f:
        f.write(" ".join(args) + "\n")
if os.environ.get("FAKE_LLAMA_BENCH_FAIL") == "1":
    print("llama_model_load: error loading model: unknown model architecture: 'deepseek4'", file=sys.stderr)
    print("main: error: failed to load model", file=sys.stderr)
    sys.exit(1)
opts = dict(zip(args[::2], args[1::2]))
for need in ("-m", "-t", "-r", "-o", "-p", "-n"):
    if need not in opts:
        print(f"missing {need}", file=sys.stderr)
        sys.exit(2)
if opts["-o"] != "json" or not os.path.isfile(opts["-m"]) and not os.path.isdir(opts["-m"]):
    print("bad -o or -m", file=sys.stderr)
    sys.exit(2)
p, n, d = int(opts["-p"]), int(opts["-n"]), int(opts.get("-d", "0"))
entries = []
if p > 0:
    entries.append({"n_prompt": p, "n_gen": 0, "n_depth": d, "avg_ts": 1000.0 + p})
if n > 0:
    entries.append({"n_prompt": 0, "n_gen": n, "n_depth": d, "avg_ts": 10.0 + d / 1000.0})
for e in entries:
    e.update({"build_commit": "fake0001", "n_threads": int(opts["-t"]), "model_filename": opts["-m"]})
    if os.environ.get("FAKE_LLAMA_BENCH_NO_DEPTH") == "1":
        del e["n_depth"]
print(json.dumps(entries, indent=2))
