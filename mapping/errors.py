"""The project's error type: anything a user can cause, with a message they can act on."""

from __future__ import annotations

from dataclasses import dataclass

__all__ = ["Problem", "ServiceMapError"]


class ServiceMapError(Exception):
    """A problem with the user's input or environment, reported without a traceback.

    The message names the file (and where it applies, the row and field) and says what
    to do. The CLI prints it and exits 1; the app shows it in the page.
    """


@dataclass(frozen=True)
class Problem:
    """One problem in an input file (register, scenario, rules, point CSV), as an editor shows it.

    ``row`` is the line number in the file (header = 1, first record = 2; a record
    spanning several lines is numbered by its first line); ``row = 0`` and
    ``field = "-"`` mark whole-file problems.
    """

    file: str
    row: int
    field: str
    message: str

    def __str__(self) -> str:
        return f"{self.file}:{self.row}:{self.field}: {self.message}"
