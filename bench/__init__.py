"""Benchmarks: each module prints its figure; run one with ``python -m bench.<module>``.

``make bench`` runs every module that has a ``__main__`` block; ``make bench BENCH=<module>``
runs one. See ``bench/README.md`` for what each measures and the figures last measured.
"""
