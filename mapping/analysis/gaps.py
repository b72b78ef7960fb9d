"""The gap register: rule-based gaps in victim-service provision, with their evidence.

Rules are read from a TOML file (default ``data/gap_rules.toml``) whose thresholds and
severity bands are parameters, each with a one-line description and the source of its
benchmark. :func:`evaluate` applies them to a :class:`mapping.Study` (or any
:class:`mapping.analysis.coverage.CoverageModel`) and returns one row per gap::

    import mapping
    from mapping.analysis.gaps import evaluate

    register = evaluate(mapping.Study.load())  # as mapping.Study.gaps() does

Every figure comes from the CoverageModel (its effective register, so what-if changes flow
through, and its population-weighted coverage); nothing is hard-coded. The rules:

``sarc_travel``
    Residents more than N minutes from an open SARC at each slot, per council area.
``no_da_base``
    Council areas with no located domestic-abuse service base of their own.
``no_refuge``
    Council areas with no refuge filed under them or listing them as served.
``no_out_of_hours``
    Categories with no provision serving Lancashire open at night or at the weekend.
``young_people``
    Under-16s far from a service open to them; areas with no young people's site.
``refuge_capacity``
    Known refuge family places against one per 10,000 people (Istanbul Convention).
``stale_record``
    Register records not verified within N months of the as-of date.
``pathway_police_only``, ``self_referral_age_bar``, ``single_point_of_failure``,
``referral_volume_above_benchmark``
    Referral-pathway gaps (:mod:`mapping.analysis.pathway_gaps`).

Confidential services (refuges) have no location in the register; gap records name
them by id and name only.
"""

from __future__ import annotations

from collections.abc import Sequence
from datetime import date
from pathlib import Path
from typing import TYPE_CHECKING, Any

import pandas as pd

# The rule modules register their evaluators (gap_records.evaluates) when imported.
from mapping.analysis import gap_rules, need_gaps, pathway_gaps  # noqa: F401
from mapping.analysis.gap_records import COLUMNS, GapContext, evaluator_for
from mapping.inputs.rules import SEVERITIES, GapRule, load_rules
from mapping.inputs.vocabulary import AGE_BANDS

if TYPE_CHECKING:
    from mapping.analysis.coverage import CoverageModel


__all__ = [
    "COLUMNS",
    "evaluate",
    "summarise_gaps",
]


# ---- evaluation ------------------------------------------------------------------


def _empty_register() -> pd.DataFrame:
    frame = pd.DataFrame({column: pd.Series(dtype=object) for column in COLUMNS})
    frame["population_affected"] = frame["population_affected"].astype("Int64")
    return frame


def evaluate(
    study: CoverageModel,
    rules: Sequence[GapRule] | Path | str | None = None,
    *,
    as_of: date | None = None,
) -> pd.DataFrame:
    """Apply the gap rules to a study and return the gap register.

    Parameters
    ----------
    study
        A :class:`mapping.Study`; its effective register is used, so what-if
        changes (:meth:`CoverageModel.with_changes`, scenarios) flow through.
    rules
        Rules from :func:`load_rules`, or a rules file (default: ``data/gap_rules.toml``).
    as_of
        Date ``stale_record`` measures from (default: the rule's ``as_of``, else today).

    Returns
    -------
    pandas.DataFrame
        One row per gap, columns :data:`COLUMNS`, sorted by severity (high first), then
        population affected (largest first, empty last), then ``gap_id``.
        ``population_affected`` is a nullable integer.
    """
    if rules is None or isinstance(rules, str | Path):
        rules = load_rules(rules)
    register = study.effective_register()
    origins = study.origins
    population = origins.groupby("lad_code")["population"].sum()
    ages = origins.groupby("lad_code")[list(AGE_BANDS)].sum()
    ctx = GapContext(
        study=study,
        register=register.reset_index(drop=True),
        as_of=as_of,
        names=study.area_names("district"),
        population=population,
        age_population=ages,
    )
    records: list[dict[str, Any]] = []
    for rule in rules:
        if rule.model.enabled:
            records.extend(evaluator_for(rule)(ctx, rule))
    if not records:
        return _empty_register()
    table = pd.DataFrame.from_records(records, columns=list(COLUMNS))
    table["population_affected"] = table["population_affected"].astype("Int64")
    table["_rank"] = table["severity"].map(SEVERITIES.index)
    table["_pop"] = table["population_affected"].astype("Float64").fillna(-1.0)
    table = table.sort_values(
        ["_rank", "_pop", "gap_id"], ascending=[True, False, True], kind="mergesort"
    )
    return table.drop(columns=["_rank", "_pop"]).reset_index(drop=True)


def summarise_gaps(register: pd.DataFrame) -> pd.DataFrame:
    """Count gaps by rule and severity.

    Parameters
    ----------
    register
        The gap register from :func:`evaluate`.

    Returns
    -------
    pandas.DataFrame
        One row per rule (in order of first appearance): ``rule_id``, ``rule_title``,
        ``high``, ``medium``, ``low`` and ``total``.
    """
    columns = ["rule_id", "rule_title", *SEVERITIES, "total"]
    if register.empty:
        return pd.DataFrame({c: pd.Series(dtype=object) for c in columns})
    counts = (
        register.groupby(["rule_id", "rule_title", "severity"], sort=False)
        .size()
        .unstack("severity", fill_value=0)
        .reindex(columns=list(SEVERITIES), fill_value=0)
    )
    counts["total"] = counts.sum(axis=1)
    order = list(dict.fromkeys(register["rule_id"]))
    out = counts.reset_index()
    out["_order"] = out["rule_id"].map(order.index)
    return out.sort_values("_order").drop(columns="_order")[columns].reset_index(drop=True)
