"""One registry per rule kind: each rule model has exactly one evaluator (issue 23)."""

from __future__ import annotations

import pytest

from mapping.analysis import gaps  # noqa: F401  (imports the rule modules)
from mapping.analysis.gap_records import evaluated_models, evaluates, evaluator_for
from mapping.inputs.rules import RULE_MODELS, GapRule, SarcTravelRule, load_rules


def test_every_rule_model_has_an_evaluator_and_nothing_else_does() -> None:
    assert evaluated_models() == frozenset(RULE_MODELS.values())


def test_a_rule_keeps_its_validated_model_through_to_its_evaluator() -> None:
    rules = {rule.id: rule for rule in load_rules()}
    sarc = rules["sarc_travel"]
    assert isinstance(sarc.model, SarcTravelRule)
    assert sarc.model.minutes == 60 and sarc.params["minutes"] == 60
    assert evaluator_for(sarc).__name__ == "_sarc_travel"
    for rule in rules.values():
        assert type(rule.model) is RULE_MODELS[rule.id]


def test_a_second_evaluator_for_one_model_is_refused() -> None:
    with pytest.raises(ValueError, match="SarcTravelRule already has an evaluator"):

        @evaluates(SarcTravelRule)
        def again(ctx: object, rule: GapRule[SarcTravelRule]) -> list[dict[str, object]]:
            return []
