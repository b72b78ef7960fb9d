"""Analysis layer: every figure the tool gives (coverage, SARC access, equity, capacity,
gaps, scenarios), computed from the inputs, geography and routing layers below."""
