"""Lancashire victim-service coverage map: data, routing, coverage, need and gaps.

The one entry point is :class:`mapping.Study`::

    import mapping

    study = mapping.Study.load()
    print(study)
    study.sarc_access()

``import mapping`` is light: :class:`Study` and the public types are imported on first
use, and nothing here imports the web app's framework.
"""

from __future__ import annotations

from importlib import import_module
from typing import TYPE_CHECKING, Any

#: Attribution that the app and every export must show (Open Government Licence v3.0).
ATTRIBUTION: tuple[str, ...] = (
    "Contains OS data © Crown copyright and database right 2025 (Code-Point Open, Open Roads).",
    "Contains Royal Mail data © Royal Mail copyright and database right 2025.",
    "Contains National Statistics data © Crown copyright and database right 2021-2025.",
    "Source: Office for National Statistics licensed under the Open Government Licence v3.0.",
    "Contains public sector information licensed under the Open Government Licence v3.0 "
    "(DfT Major Road Database, MHCLG English Indices of Deprivation 2025, data.police.uk).",
)

#: Public names and the modules that define them (imported on first use).
_PUBLIC: dict[str, str] = {
    "Study": "mapping.study",
    "Scenario": "mapping.inputs.scenario_file",
    "Change": "mapping.inputs.scenario_file",
    "HoursChange": "mapping.inputs.scenario_file",
    "CloseChange": "mapping.inputs.scenario_file",
    "AddChange": "mapping.inputs.scenario_file",
    "TimeSlot": "mapping.inputs.when",
    "NAMED_SLOTS": "mapping.inputs.when",
    "Problem": "mapping.errors",
    "ServiceMapError": "mapping.errors",
    "RegisterChanges": "mapping.analysis.coverage",
    "Comparison": "mapping.analysis.scenarios",
    "GapRule": "mapping.inputs.rules",
    "ExportReport": "mapping.outputs.pack",
}

#: Public modules, imported on first use: ``mapping.formats`` spells every figure.
_MODULES: frozenset[str] = frozenset({"formats"})

__all__ = [
    "ATTRIBUTION",
    "NAMED_SLOTS",
    "AddChange",
    "Change",
    "CloseChange",
    "Comparison",
    "ExportReport",
    "GapRule",
    "HoursChange",
    "Problem",
    "RegisterChanges",
    "Scenario",
    "ServiceMapError",
    "Study",
    "TimeSlot",
    "__version__",
    "formats",
]

if TYPE_CHECKING:
    __version__: str

    from mapping import formats
    from mapping.analysis.coverage import RegisterChanges
    from mapping.analysis.scenarios import Comparison
    from mapping.errors import Problem, ServiceMapError
    from mapping.inputs.rules import GapRule
    from mapping.inputs.scenario_file import (
        AddChange,
        Change,
        CloseChange,
        HoursChange,
        Scenario,
    )
    from mapping.inputs.when import NAMED_SLOTS, TimeSlot
    from mapping.outputs.pack import ExportReport
    from mapping.study import Study


def __dir__() -> list[str]:
    """The module's names and its public names imported on first use (``Study`` too)."""
    return sorted(set(globals()) | set(__all__))


def _version() -> str:
    """The installed package's version (read on first use: ``importlib.metadata`` is slow)."""
    from importlib.metadata import PackageNotFoundError, version

    try:
        return version("lancashire-service-map")
    except PackageNotFoundError:  # running from a source tree that was never installed
        return "0.0.0+unknown"


def __getattr__(name: str) -> Any:
    if name == "__version__":
        globals()["__version__"] = found = _version()
        return found
    if name in _MODULES:
        return import_module(f"mapping.{name}")
    module = _PUBLIC.get(name)
    if module is None:
        raise AttributeError(f"module 'mapping' has no attribute {name!r}")
    return getattr(import_module(module), name)
