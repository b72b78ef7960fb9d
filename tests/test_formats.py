"""The one module of formatters and the one classification of drive minutes.

Every expected string here is worked by hand from the value, not computed by the code.
"""

from __future__ import annotations

import doctest
import math

import folium
import geopandas as gpd
import numpy as np
import pandas as pd
import pytest
import shapely

import mapping
from mapping import formats
from mapping.analysis.summary import population_by_minutes
from mapping.outputs import maps
from mapping.outputs.report import minutes_shading
from mapping.outputs.tables import add_minutes_band

NAN = float("nan")


def test_the_docstring_examples_hold() -> None:
    failures, tried = doctest.testmod(formats)
    assert tried > 20 and failures == 0


@pytest.mark.parametrize(
    "missing", [None, NAN, np.nan, pd.NA, math.inf, -math.inf, np.float64("nan")]
)
def test_every_kind_of_missing_value_gives_the_missing_text(missing: object) -> None:
    assert formats.is_missing(missing)
    assert formats.minutes(missing, missing="none") == "none"
    assert formats.number(missing) == ""
    assert formats.people(missing, missing="–") == "–"
    assert formats.signed_people(missing) == ""
    assert formats.round_people(missing, missing="?") == "?"
    assert formats.percent(missing, missing="-") == "-"
    assert formats.share(missing, words=True, missing="an unknown share") == "an unknown share"


def test_values_that_are_not_missing() -> None:
    assert not any(formats.is_missing(v) for v in (0, 0.0, -1, "x", np.int64(3), (1, 2)))


def test_minutes_round_half_to_even_and_never_show_minus_zero() -> None:
    # 44.25 is stored as exactly 44.25, so it rounds to the even 44.2.
    assert formats.minutes(44.25) == "44.2"
    assert formats.minutes(44.35) == "44.4"  # stored a little above 44.35
    assert formats.minutes(-0.04) == "0.0"  # not "-0.0"
    assert formats.minutes(-0.06) == "-0.1"
    assert formats.minutes(59.5, digits=0, unit=" min") == "60 min"
    assert formats.minutes(60.5, digits=0, unit=" min") == "60 min"  # half to even
    assert formats.minutes(3.0, signed=True, unit=" min") == "+3.0 min"
    assert formats.minutes(-3.04, signed=True, unit=" min") == "-3.0 min"


def test_people_are_whole_with_thousands_separators() -> None:
    assert formats.people(1_234_567.5) == "1,234,568"
    assert formats.people(0.4) == "0"
    assert formats.people(np.int64(12000)) == "12,000"
    assert formats.signed_people(1500) == "+1,500"
    assert formats.signed_people(-1500) == "-1,500"
    assert formats.signed_people(-0.3) == "+0"  # a rounding, not a loss
    assert formats.round_people(42_760.36) == "42,800"
    assert formats.round_people(1_512_345) == "1,510,000"
    assert formats.round_people(999.4) == "999"


def test_percentages() -> None:
    assert formats.percent(0.125) == "12%"  # 12.5 rounds half to even
    assert formats.percent(0.135) == "14%"
    assert formats.percent(0.1234, digits=1) == "12.3%"
    assert formats.percent(1.0) == "100%"
    assert formats.percent(-0.00001, digits=1) == "0.0%"


def test_shares_are_never_shown_as_none_or_all_unless_they_are() -> None:
    assert formats.share(0.0) == "0%"
    assert formats.share(0.0049) == "<1%"  # would round to 0%
    assert formats.share(0.005) == "<1%"  # 0.5 rounds half to even, to 0%
    assert formats.share(0.0051) == "1%"
    assert formats.share(0.9949) == "99%"
    assert formats.share(0.995) == ">99%"  # would round to 100%
    assert formats.share(1.0) == "100%"
    assert formats.share(0.002, words=True) == "under 1%"
    assert formats.share(0.999, words=True) == "over 99%"


def test_compact_names_limits_as_the_table_columns_do() -> None:
    assert formats.compact(60.0) == "60"
    assert formats.compact(22.5) == "22.5"
    assert f"share_within_{formats.compact(45)}" == "share_within_45"


def test_the_public_api_exposes_formats_lazily() -> None:
    assert mapping.formats is formats
    assert "formats" in mapping.__all__


# ---- the classification of minutes ---------------------------------------------------

#: Minutes at and either side of class limits, beyond the last, and none in reach.
MINUTES = [0.0, 15.0, 44.9, 45.0, 45.1, 90.0, 90.1, 200.0, NAN]
#: Their classes, by hand: a class includes its upper limit.
EXPECTED = [
    "0–15 min",
    "0–15 min",
    "30–45 min",
    "30–45 min",
    "45–60 min",
    "60–90 min",
    "over 90 min",
    "over 90 min",
    "no open service",
]


def test_the_standard_classes_by_hand() -> None:
    classes = formats.minute_classes()
    assert classes.breaks == [0.0, 15.0, 30.0, 45.0, 60.0, 90.0]
    assert classes.label(MINUTES).tolist() == EXPECTED
    assert classes.index([44.9, 45.0, 45.1, NAN]).tolist() == [2, 2, 3, -1]
    # Viridis, light to dark; no service is grey.
    colours = classes.colours
    assert len(colours) == 6 and colours[0] == "#fde725" and colours[-1] == "#440154"
    assert classes.colour([NAN])[0] == formats.NO_DATA_COLOUR


def test_a_threshold_becomes_a_class_limit_and_is_marked_in_the_legend() -> None:
    classes = formats.minute_classes(20)
    assert classes.labels[:3] == ["0–15 min", "15–20 min", "20–30 min"]
    legend = classes.legend(highlight=20)
    assert legend[1][1] == "15–20 min ◀ threshold"
    assert sum("threshold" in label for _, label in legend) == 1


def test_bad_limits_are_refused() -> None:
    with pytest.raises(ValueError, match="ascending"):
        formats.MinuteClasses((30.0, 15.0))
    with pytest.raises(ValueError, match="positive"):
        formats.MinuteClasses((0.0, 15.0))


def _app_map_colours(minutes: list[float]) -> list[str]:
    """The fill the app's LSOA map gives each value (one small square per value)."""
    n = len(minutes)
    shapes = gpd.GeoDataFrame(
        {
            "lsoa21_code": [f"E0{i}" for i in range(n)],
            "lsoa21_name": [f"Area {i}" for i in range(n)],
        },
        geometry=[
            shapely.box(350_000 + 100 * i, 430_000, 350_050 + 100 * i, 430_050) for i in range(n)
        ],
        crs="EPSG:27700",
    )
    table = pd.DataFrame(
        {
            "area_code": shapes["lsoa21_code"],
            "mean_minutes": minutes,
            "median_minutes": minutes,
            "share_within_60": 0.5,
            "eligible_population": 100.0,
            "nearest_service": "sarc-x",
            "nearest_provider_area": "Lancashire",
        }
    )
    layer = maps.add_minutes_choropleth(folium.Map(), shapes, table, 60)
    (geojson,) = [c for c in layer._children.values() if isinstance(c, folium.GeoJson)]
    return [f["properties"]["colour"] for f in geojson.data["features"]]


def test_app_map_report_and_export_class_the_same_minutes_alike() -> None:
    classes = formats.minute_classes()
    colour_of = dict(
        zip(
            [*classes.labels, classes.missing],
            [*classes.colours, formats.NO_DATA_COLOUR],
            strict=True,
        )
    )
    expected_colours = [colour_of[label] for label in EXPECTED]

    app_map = _app_map_colours(MINUTES)
    report = minutes_shading(pd.Series(MINUTES), classes)["colour"].tolist()
    export = add_minutes_band(pd.DataFrame({"mean_minutes": MINUTES}))["minutes_band"].tolist()
    chart = population_by_minutes(
        pd.DataFrame({"minutes": MINUTES, "eligible_population": 1.0})
    ).set_index("band")["residents"]

    assert export == EXPECTED
    assert app_map == expected_colours
    assert report == expected_colours
    # The app's chart of residents by band counts each value in the same class.
    assert chart.to_dict() == {label: float(EXPECTED.count(label)) for label in chart.index}


def test_the_export_band_sits_beside_the_minutes_it_classes() -> None:
    frame = pd.DataFrame({"area_code": ["A"], "mean_minutes": [45.0], "p90_minutes": [80.0]})
    add_minutes_band(frame)
    assert list(frame.columns) == ["area_code", "mean_minutes", "minutes_band", "p90_minutes"]
    assert frame.at[0, "minutes_band"] == "30–45 min"
