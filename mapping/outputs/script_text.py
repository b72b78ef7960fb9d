"""Text for a map's script: every string encoded for the JavaScript context it lands in.

A map page is HTML whose ``<script>`` elements build the Leaflet map. Any text that
reaches that script (a service's name from an uploaded register, a what-if site's name,
a tooltip, a key) is written by :func:`js_literal` as a JSON value (data, never spliced
into source): a double-quoted JavaScript string in which

- ``"`` and ``\\`` are escaped (the string cannot end early);
- ``<``, ``>``, ``&`` and ``'`` are ``\\u`` escapes, so ``</script>`` or ``<!--`` cannot
  end or comment out the script element around it;
- every non-ASCII character is a ``\\u`` escape (U+2028 and U+2029, line ends in older
  JavaScript, included);
- the backtick, ``$``, ``{`` and ``}`` are ``\\u`` escapes inside strings, so the text is
  inert in a template literal and never reads as a Jinja tag either.

folium's own :class:`folium.Tooltip` pastes its text raw into a JavaScript template
literal (`` `...${text}...` ``), where HTML escaping leaves ``${`` and the backtick alone:
use :class:`ScriptTooltip` instead (``OfflineMap.render`` refuses folium's).
"""

from __future__ import annotations

import json
import re
from typing import Any

from branca.element import MacroElement
from jinja2 import Template

__all__ = ["ScriptTooltip", "js_literal"]

#: Characters written as ``\\u`` escapes wherever they stand in the JSON text.
_EVERYWHERE = {ord(c): f"\\u{ord(c):04x}" for c in "<>&'`$"}
#: Characters escaped inside strings only (structural braces of objects must stay).
_IN_STRINGS = {ord(c): f"\\u{ord(c):04x}" for c in "{}"}


#: A JSON string literal in JSON text.
_JSON_STRING = re.compile(r'"(?:[^"\\]|\\.)*"')


def js_literal(value: Any) -> str:
    """``value`` (text, number, bool, ``None``, lists and dicts of them) as a JS literal.

    The result is safe inside an HTML ``<script>`` element, inside a JavaScript template
    literal, and in text that is later read as a Jinja template.

    Parameters
    ----------
    value
        A JSON value. Non-finite numbers are refused.

    Returns
    -------
    str
        A JavaScript expression evaluating to ``value``.

    Raises
    ------
    ValueError
        For NaN or infinity.
    TypeError
        For a value JSON cannot hold.
    """
    text = json.dumps(value, ensure_ascii=True, allow_nan=False, separators=(",", ":"))
    text = text.translate(_EVERYWHERE)
    return _JSON_STRING.sub(lambda m: m.group(0).translate(_IN_STRINGS), text)


class ScriptTooltip(MacroElement):
    """A tooltip on its parent layer, its HTML passed as a :func:`js_literal` string.

    Parameters
    ----------
    content
        The tooltip's HTML (register or user text in it already HTML-escaped).
    sticky
        Whether the tooltip follows the mouse.
    """

    _template = Template(
        """
{% macro script(this, kwargs) %}
{{ this._parent.get_name() }}.bindTooltip({{ this.content_js }}, {sticky: {{ this.sticky_js }}});
{% endmacro %}
"""
    )

    def __init__(self, content: str, sticky: bool = True) -> None:
        super().__init__()
        self._name = "ScriptTooltip"
        self.content_js = js_literal(str(content))
        self.sticky_js = "true" if sticky else "false"
