"""The hostile register of the shared export pack (``conftest.export_pack``).

Formula-like names (OWASP CSV injection) on a located SARC and on a confidential refuge,
HTML that would run as script in every other SARC's name and every SARC's provider, and
a Jinja expression after that HTML (folium's branca compiles map text as a template).
"""

from __future__ import annotations

import csv
from pathlib import Path

REPO = Path(__file__).resolve().parents[2]
REGISTER = REPO / "data" / "services.csv"
EAST_LANCS = REPO / "data" / "scenarios" / "east_lancashire_sarc.toml"

#: A formula on a SARC that is located, public, and every area's nearest SARC by day.
EVIL = '=HYPERLINK("http://evil","x")'
EVIL_SARC = "sarc-preston-safe-centre"
#: A formula on a refuge: confidential, so it has no location anywhere.
EVIL_REFUGE_NAME = "@SUM(A1)"
EVIL_REFUGE = "refuge-chorley"
#: Would change the page title and raise an alert if any path inserted it as HTML: put
#: before the name of every other SARC and as the provider of every SARC.
PAYLOAD = (
    "<img src=x onerror=\"document.title='pwned';alert(1)\">SAFE<script>alert(2)</script>"
    + "${alert(3)}`;alert(4);`\u2028"
)
#: The part of :data:`PAYLOAD` aimed at a JavaScript template literal (issue 19).
TEMPLATE_LITERAL = "${alert(3)}`;alert(4);`"
#: A Jinja expression: ``TEMPLATE_RAN`` wherever a map or page evaluated it as a template.
TEMPLATE = "{{ 191919 * 1000 }}"
TEMPLATE_RAN = "191919000"
#: Not the usual 022, so an export that set a fixed 0755/0644 would fail too.
EXPORT_UMASK = 0o027


def write_hostile_register(path: Path) -> None:
    """The published register with formula-like and HTML-holding names and providers."""
    with open(REGISTER, newline="", encoding="utf-8") as handle:
        rows = list(csv.DictReader(handle))
    renamed = {EVIL_SARC: EVIL, EVIL_REFUGE: EVIL_REFUGE_NAME}
    for row in rows:
        if row["id"] in renamed:
            row["name"] = renamed.pop(row["id"])
        elif row["category"] == "sarc":
            row["name"] = PAYLOAD + " " + row["name"]
        if row["category"] == "sarc":
            row["provider"] = PAYLOAD + TEMPLATE
    assert not renamed, "the register no longer holds the services these tests rename"
    with open(path, "w", newline="", encoding="utf-8") as handle:
        writer = csv.DictWriter(handle, fieldnames=list(rows[0]), lineterminator="\n")
        writer.writeheader()
        writer.writerows(rows)
