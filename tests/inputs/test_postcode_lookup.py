"""Postcode look-up in Code-Point Open, indexed without spaces (issue 23: a faster start)."""

from __future__ import annotations

import pandas as pd

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
