"""Test helpers shared by the test suite and the benchmarks (real git repos, fake forges)."""
