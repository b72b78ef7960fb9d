"""The referral-pathway gap rules reach the export pack (shared pack, hostile register)."""

from __future__ import annotations

from typing import Any

import pandas as pd


def test_pathway_rules_are_in_the_pack(export_pack: dict[str, Any]) -> None:
    assert export_pack["code"] == 0, export_pack["err"]
    gaps = pd.read_csv(export_pack["out"] / "gap_register.csv", dtype=str, keep_default_na=False)
    rules = set(gaps["rule_id"])
    assert {"pathway_police_only", "self_referral_age_bar"} <= rules
    report = (export_pack["out"] / "report.html").read_text(encoding="utf-8")
    for gap_id in gaps.loc[gaps["rule_id"] == "self_referral_age_bar", "gap_id"]:
        assert gap_id in report
