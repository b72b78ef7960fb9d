"""The project's error type: anything a user can cause, with a message they can act on."""

from __future__ import annotations

__all__ = ["ServiceMapError"]


class ServiceMapError(Exception):
    """A problem with the user's input or environment, reported without a traceback.

    The message names the file (and where it applies, the row and field) and says what
    to do. The CLI prints it and exits 1; the app shows it in the page.
    """
