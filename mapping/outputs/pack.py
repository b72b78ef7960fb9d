"""The export pack's data model: what is written, and the context every writer shares."""

from __future__ import annotations

from dataclasses import dataclass, field
from pathlib import Path

import pandas as pd

GENERATOR = "mapping.outputs.export"


@dataclass(frozen=True)
class ExportedFile:
    """One file of an export: its path inside the folder, what it is and its checksum."""

    path: str
    kind: str
    description: str
    sha256: str
    bytes: int


@dataclass
class ExportReport:
    """What :func:`export_all` wrote.

    Attributes
    ----------
    out_dir
        The export folder.
    files
        Every file, ``manifest.json`` last (its own checksum cannot be inside it, so
        its ``sha256`` here is computed after writing).
    generated_at
        UTC ISO time stamp recorded in every file.
    seconds
        Wall time of the export.
    notes
        Anything a reader should know (a table not available, sources not verified).
    """

    out_dir: Path
    files: list[ExportedFile] = field(default_factory=list)
    generated_at: str = ""
    seconds: float = 0.0
    notes: list[str] = field(default_factory=list)

    @property
    def total_bytes(self) -> int:
        """Total size of the export."""
        return sum(f.bytes for f in self.files)

    @property
    def paths(self) -> list[Path]:
        """Absolute paths of the files written."""
        return [self.out_dir / f.path for f in self.files]


@dataclass(frozen=True)
class PackTable:
    name: str
    sheet: str
    description: str
    frame: pd.DataFrame


@dataclass
class ExportContext:
    """Facts every part of the export repeats: parameters, provenance, notes."""

    generated_at: str
    network_source: str
    parameters: list[tuple[str, str]]
    slots: list[tuple[str, str, str]]
    network: list[tuple[str, str]]
    sources: list[tuple[str, str, str, str]]
    software: list[tuple[str, str]]
    method: list[str]
    notes: list[str]


def age_label(band: str | None) -> str:
    return "all ages" if band is None else band
