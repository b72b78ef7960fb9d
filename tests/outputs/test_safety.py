"""Formula safety (OWASP CSV injection), including Unicode look-alikes and DDE."""

from __future__ import annotations

from typing import Any

import pandas as pd
import pytest
from hostile import EXPORT_UMASK
from hypothesis import given
from hypothesis import strategies as st

from mapping.safety import neutralise_formula, safe_frame

PAYLOADS = [
    "=1+1",
    "+1",
    "-1+1",
    "@SUM(1)",
    '=HYPERLINK("http://x","y")',
    "\uff1d1+1",  # fullwidth equals
    "\uff0b1",  # fullwidth plus
    "\ufe661",  # small equals
    "\ufe621",  # small plus
    "\u200b=1",  # zero-width space in front
    "\ufeff=1",  # BOM in front
    "\u202e=1",  # right-to-left override in front
    "|cmd '/C calc'!A0",  # DDE
    "  =1",
    "\t=1",
    "\r=1",
]


@pytest.mark.parametrize("payload", PAYLOADS)
def test_every_formula_start_is_neutralised(payload: str) -> None:
    assert neutralise_formula(payload) == "'" + payload


@pytest.mark.parametrize("plain", ["Preston", "SAFE Centre", "Ｈello", "", "5 minutes", "a=b"])
def test_plain_text_is_left_alone(plain: str) -> None:
    assert neutralise_formula(plain) == plain


def test_numbers_and_missing_values_are_not_touched() -> None:
    frame = pd.DataFrame({"n": [-5, 3], "t": ["=x", None], "=bad column": ["a", "b"]})
    safe = safe_frame(frame)
    assert safe["n"].tolist() == [-5, 3]
    assert safe["t"].iloc[0] == "'=x" and pd.isna(safe["t"].iloc[1])
    assert "'=bad column" in safe.columns


@given(st.text(min_size=1, max_size=30))
def test_neutralised_text_never_starts_a_formula(text: str) -> None:
    import unicodedata

    out = neutralise_formula(text)
    assert out == text or out == "'" + text
    if out == text:
        folded = unicodedata.normalize("NFKC", text).lstrip()
        visible = "".join(
            c for c in folded if unicodedata.category(c) not in ("Cf", "Cc", "Zs")
        ).lstrip()
        assert not visible.startswith(("=", "+", "-", "@", "|"))


def test_export_folder_gets_the_users_ordinary_mode(export_pack: dict[str, Any]) -> None:
    # The shared pack was exported under umask 027 (hostile.EXPORT_UMASK): not the usual
    # 022, so a fixed 0755/0644 would fail too.
    assert EXPORT_UMASK == 0o027
    out = export_pack["out"]
    assert export_pack["code"] == 0, export_pack["err"]
    assert out.stat().st_mode & 0o777 == 0o777 & ~0o027
    inside = list(out.rglob("*"))
    assert inside
    for path in inside:  # every file and folder of the pack, not only the top folder
        expected = (0o777 if path.is_dir() else 0o666) & ~0o027
        assert path.stat().st_mode & 0o777 == expected, path
