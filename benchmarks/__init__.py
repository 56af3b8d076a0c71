"""Benchmarks (``make bench``): each ``bench_*.py`` has ``run(args) -> None`` and prints figures.
They are not tests and assert nothing about time."""
