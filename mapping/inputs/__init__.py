"""Inputs layer: read and validate every source and user file (raw sources, the register,
hours and times, scenario files, gap-rule and benchmark files, point CSVs)."""
