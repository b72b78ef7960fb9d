"""Analyses over the built data: equity by deprivation, capacity against benchmarks."""
