"""The benchmark of "Fast rebuilds after corrections": a synthetic corpus, a naive one-pass baseline, a runner.

Run it with `make bench` or `python -m bench.run`; see bench/README.md.
"""
