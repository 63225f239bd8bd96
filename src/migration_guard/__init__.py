"""migration-guard: keep numbered migration chains collision-free across parallel pull requests."""

__version__ = "0.1.0"
