"""Side-by-side benchmarks of Cantata against the tools users would pick instead.

``python -m benchmarks`` (or ``make bench``) runs every scenario; ``python -m benchmarks s4``
runs one. See docs/performance.md for the scenarios, the method and the latest numbers.
Everything in this package except the scenario sides is standard-library only, so the same
child runner works in Cantata's environment and in the peers' one (``.venv-peers``).
"""
