"""Map scripts kept verbatim: what a map element renders is never read as a template.

branca (0.8) renders each element of a folium map with its Jinja template, then wraps
the text it got in a new ``branca.element.Element(text)``, which compiles that text as
a Jinja template again (``MacroElement.render``). Two things follow:

- **Template injection.** Any text on the map (a service's name from an uploaded
  register, a what-if site's name, a tooltip) is evaluated as Jinja: ``{{ 7*7 }}``
  shows as ``49`` and, Jinja being unsandboxed there, ``{{ ... __globals__ ... }}``
  runs code in the server. HTML escaping does not touch braces.
- **Cost.** The text of a choropleth holds its GeoJSON, megabytes that Jinja's lexer
  scans character by character on every render: two thirds of a map's build time.

:class:`Verbatim` is an element whose text is output as it is. :func:`verbatim_scripts`
makes ``MacroElement.render`` wrap what each element rendered in one, for the maps this
package renders (``OfflineMap.render`` enters it) and for nothing else: the switch is a
context variable, so other folium maps in the same process, and other threads, keep
branca's own behaviour.
"""

from __future__ import annotations

import contextvars
from collections.abc import Iterator
from contextlib import contextmanager
from typing import Any

import branca.element
from branca.element import Element, Figure, MacroElement

__all__ = ["Verbatim", "verbatim_scripts"]


class Verbatim(Element):
    """An element whose text is output as it is (never compiled as a Jinja template).

    Parameters
    ----------
    text
        HTML, CSS or JavaScript, with every user text in it already escaped for where it
        goes.
    """

    def __init__(self, text: str = "") -> None:
        super().__init__()
        self._name = "Verbatim"
        self.text = str(text)

    def render(self, **kwargs: Any) -> str:
        """The text, as given."""
        return self.text


_VERBATIM: contextvars.ContextVar[bool] = contextvars.ContextVar("verbatim", default=False)
_BRANCA_RENDER = MacroElement.render


def _render(self: MacroElement, **kwargs: Any) -> None:
    """``MacroElement.render`` of branca 0.8, wrapping each macro's text in :class:`Verbatim`."""
    if not _VERBATIM.get():
        return _BRANCA_RENDER(self, **kwargs)
    figure = self.get_root()
    if not isinstance(figure, Figure):
        raise TypeError("You cannot render this Element if it is not in a Figure.")
    macros = self._template.module.__dict__
    for part in ("header", "html", "script"):
        macro = macros.get(part)
        if macro is not None:
            getattr(figure, part).add_child(Verbatim(macro(self, kwargs)), name=self.get_name())
    for element in self._children.values():
        element.render(**kwargs)
    return None


if branca.element.MacroElement.render is _BRANCA_RENDER:
    branca.element.MacroElement.render = _render  # type: ignore[method-assign]


@contextmanager
def verbatim_scripts() -> Iterator[None]:
    """Within this block, folium elements rendered in this thread keep their text verbatim."""
    token = _VERBATIM.set(True)
    try:
        yield
    finally:
        _VERBATIM.reset(token)
