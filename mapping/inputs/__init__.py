"""Inputs the analysis reads besides the raw sources: the register, hours, benchmarks."""
