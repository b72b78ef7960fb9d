"""Victims' needs (``data/needs.toml``): a need maps to a crime type and the categories meeting it.

A need is how a person describes a victim on the Pathways page or in ``service-map
pathways --need``: "adult, recent rape", "high-risk domestic abuse". Each is checked by
a pydantic model; a mistake reads ``file:need:field: message``.
"""

from __future__ import annotations

import os
from dataclasses import dataclass
from pathlib import Path
from typing import Literal

from pydantic import BaseModel, ConfigDict, Field, ValidationError

from mapping.errors import ServiceMapError
from mapping.inputs.files import read_document
from mapping.inputs.vocabulary import Category, CrimeType
from mapping.store import repo_root

__all__ = ["Need", "default_needs_path", "find_need", "load_needs"]


class _NeedModel(BaseModel):
    model_config = ConfigDict(extra="forbid", frozen=True)

    label: str = Field(min_length=1)
    crime_type: CrimeType
    categories: tuple[Category, ...] = Field(min_length=1)
    risk_level: Literal["standard", "medium", "high"] | None = None
    default_age: int = Field(ge=0, le=120)
    note: str = ""


@dataclass(frozen=True)
class Need:
    """One need: its id, label, crime type, the categories that meet it and a default age."""

    id: str
    label: str
    crime_type: str
    categories: tuple[str, ...]
    risk_level: str | None
    default_age: int
    note: str = ""


def default_needs_path() -> Path:
    """The committed needs file, ``<repo>/data/needs.toml``."""
    return repo_root() / "data" / "needs.toml"


def load_needs(path: str | os.PathLike[str] | None = None) -> list[Need]:
    """Read and check every need in the file, in file order.

    Raises
    ------
    ServiceMapError
        ``file:need:field: message`` for every mistake.
    """
    path = Path(path or default_needs_path())
    document = read_document(path, what="needs")
    needs: list[Need] = []
    problems: list[str] = []
    for need_id, table in document.items():
        if not isinstance(table, dict):
            problems.append(f"{path}:{need_id}:-: must be a table of label, crime_type, ...")
            continue
        try:
            model = _NeedModel.model_validate(table)
        except ValidationError as exc:
            for error in exc.errors():
                where = ".".join(str(p) for p in error["loc"]) or "-"
                problems.append(f"{path}:{need_id}:{where}: {error['msg']}")
            continue
        needs.append(Need(id=need_id, **model.model_dump()))
    if problems:
        raise ServiceMapError("\n".join(problems))
    if not needs:
        raise ServiceMapError(f"{path}: no needs defined")
    return needs


def _key(text: str) -> str:
    return " ".join(text.lower().replace(",", " ").replace("_", " ").replace("-", " ").split())


def find_need(text: str, needs: list[Need] | None = None) -> Need:
    """The need whose label or id is ``text`` (case, commas and separators ignored).

    Raises
    ------
    ServiceMapError
        If no need matches; the message lists the labels.
    """
    needs = load_needs() if needs is None else needs
    for need in needs:
        if _key(text) in (_key(need.label), _key(need.id)):
            return need
    labels = "; ".join(repr(n.label) for n in needs)
    raise ServiceMapError(f"unknown need {text!r}; known: {labels}")
