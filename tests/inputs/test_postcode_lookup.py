"""Postcode look-up in Code-Point Open, indexed without spaces (issue 23: a faster start)."""

from __future__ import annotations

import pandas as pd
import pytest

from mapping.inputs.postcodes import lookup_postcodes, normalise_postcode


def test_lookup_matches_the_published_units_normalised_one_by_one(sources) -> None:
    """The same rows as normalising every published unit with :func:`normalise_postcode`."""
    published = sources.read_codepoint(areas=["PR", "FY"])
    published = published.assign(postcode=published["postcode"].map(normalise_postcode))
    expected = published.set_index("postcode")[["easting", "northing", "district_code"]]
    sample = expected.index[::997].tolist()
    # As people type them: lower case, no space, extra spaces; and one that is not a unit.
    asked = [pc.lower().replace(" ", "") for pc in sample[::2]] + [
        f"  {pc.replace(' ', '   ')} " for pc in sample[1::2]
    ]
    found = lookup_postcodes([*asked, "PR0 0ZZ", "not a postcode"], sources)
    assert sorted(found.index) == sorted(sample)
    pd.testing.assert_frame_equal(
        found.loc[sample, ["easting", "northing", "district_code"]],
        expected.loc[sample],
        check_names=False,
    )
    assert found["lon"].between(-3.5, -2.0).all() and found["lat"].between(53.3, 54.3).all()


def test_the_built_area_file_gives_the_zips_units_and_is_rebuilt_for_another_zip(
    sources, tmp_path, monkeypatch
) -> None:
    """A start reads an area from its built file (keyed by the zip's checksum), not the CSV."""
    from mapping.inputs import postcodes
    from mapping.store import read_meta

    monkeypatch.setenv("SERVICE_MAP_DATA", str(tmp_path))
    from_zip = postcodes._area_units(sources, "FY")  # builds the file
    dest = tmp_path / postcodes.AREA_DIR / "FY.npz"
    assert dest.is_file()
    read = []
    monkeypatch.setattr(sources, "read_codepoint", lambda **kw: read.append(kw) or 1 / 0)
    from_file = postcodes._area_units(sources, "FY")
    assert read == []  # the zip was not read again
    pd.testing.assert_frame_equal(from_file, from_zip, check_index_type=False)
    # Another zip (another checksum): the file is stale, so the zip is read again.
    meta = read_meta(dest)
    assert meta is not None and meta["key"]
    monkeypatch.setattr(sources, "checksum", lambda key: "0" * 64)
    with pytest.raises(ZeroDivisionError):
        postcodes._area_units(sources, "FY")
    assert len(read) == 1
