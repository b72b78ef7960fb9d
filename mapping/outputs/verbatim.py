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

:class:`Verbatim` is an element whose text is output as it is. :class:`VerbatimMacro` is a
mixin whose ``render`` is branca's ``MacroElement.render`` (0.8) except that it wraps what
each element rendered in a :class:`Verbatim`. It applies to the maps this package draws
and to nothing else, without changing branca: :class:`~mapping.outputs.map_assets.OfflineMap`
inherits it, and :func:`verbatim_tree` gives each element on such a map a subclass of its
own class with the mixin placed just above ``MacroElement`` (``type(name, (cls,
VerbatimMacro), {})``), so a folium class's own ``render`` still runs and its
``super().render()`` reaches the verbatim one. Other folium maps in the process, and
branca itself, are untouched (no import-time patch, no global state).

Contract: it relies on branca's documented way of writing an element (a ``_template``
whose ``header``, ``html`` and ``script`` macros are rendered into the page's
``Figure``) and on ``Element._children``; ``tests/outputs/test_verbatim.py`` checks that
a page rendered this way equals branca's own for text without template syntax, so a
branca release that changes either fails there.
"""

from __future__ import annotations

import threading
from typing import Any

from branca.element import Element, Figure, MacroElement

__all__ = ["Verbatim", "VerbatimMacro", "verbatim_tree"]


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


class VerbatimMacro(MacroElement):
    """Mixin: ``MacroElement.render`` of branca 0.8, each macro's text kept verbatim."""

    # branca's MacroElement.render returns None too (its stub says str).
    def render(self, **kwargs: Any) -> None:  # type: ignore[override]
        """Add this element's header, html and script to its page as they are; then children's."""
        figure = self.get_root()
        if not isinstance(figure, Figure):
            raise TypeError("You cannot render this Element if it is not in a Figure.")
        macros = self._template.module.__dict__
        for part in ("header", "html", "script"):
            macro = macros.get(part)
            if macro is not None:
                getattr(figure, part).add_child(Verbatim(macro(self, kwargs)), name=self.get_name())
        for element in list(self._children.values()):
            verbatim_tree(element)  # children added while rendering, too
            element.render(**kwargs)
        return None


_CLASSES: dict[type, type] = {}
_CLASSES_LOCK = threading.Lock()


def _verbatim_class(cls: type) -> type:
    """``cls`` with :class:`VerbatimMacro` above ``MacroElement`` in its MRO (made once)."""
    if issubclass(cls, VerbatimMacro):
        return cls
    with _CLASSES_LOCK:
        made = _CLASSES.get(cls)
        if made is None:
            made = type(cls.__name__, (cls, VerbatimMacro), {"__module__": cls.__module__})
            made.__qualname__ = cls.__qualname__
            _CLASSES[cls] = made
    return made


def verbatim_tree(element: Element) -> None:
    """Make ``element`` and everything under it render verbatim (:class:`VerbatimMacro`).

    Each ``MacroElement`` becomes an instance of a subclass of its own class (its
    ``__class__`` is set once; ``isinstance`` checks keep holding); plain elements are
    left as they are (``Element.render`` compiles nothing it did not get as a template).
    """
    stack = [element]
    while stack:
        item = stack.pop()
        if isinstance(item, MacroElement) and not isinstance(item, VerbatimMacro):
            item.__class__ = _verbatim_class(type(item))
        stack.extend(item._children.values())
