"""The export pack's self-contained HTML report."""

from __future__ import annotations

import functools
import html
import math
import re
from collections.abc import Callable, Sequence
from dataclasses import dataclass
from typing import Any

import numpy as np
import pandas as pd
from jinja2 import Environment, PackageLoader, select_autoescape

from mapping import ATTRIBUTION, __version__, formats
from mapping.analysis.ranges import format_range, format_range_column
from mapping.caching import Cache
from mapping.inputs.area import study_area
from mapping.inputs.vocabulary import LANCASHIRE
from mapping.outputs.layers import slot_key
from mapping.outputs.pack import ExportContext, ReportInputs
from mapping.safety import neutralise_formula

#: The report's page: autoescaped Jinja2 (issue 9), values escaped where they land.
_TEMPLATES = Environment(
    loader=PackageLoader("mapping.outputs", "templates"),
    autoescape=select_autoescape(default=True, default_for_string=True),
    keep_trailing_newline=True,
)


#: The report gives shares to one decimal (terminal tables round to whole percents).
_pct = functools.partial(formats.percent, digits=1)


def _generic(value: Any) -> str:
    if value is None or value is pd.NA or (isinstance(value, float) and math.isnan(value)):
        return ""
    if isinstance(value, float | np.floating):
        return f"{float(value):.4g}"
    if isinstance(value, tuple | list | set | frozenset):
        return ";".join(str(v) for v in value)
    return str(value)


@dataclass(frozen=True)
class TableRow:
    """One row of a report table: its cells as text, and whether it is a total."""

    cells: tuple[str, ...]
    total: bool = False


@dataclass(frozen=True)
class Table:
    """A report table as text only: the template's ``table`` macro writes (and
    autoescapes) it, so no HTML is built here."""

    head: tuple[str, ...]
    rows: tuple[TableRow, ...]


def report_table(
    frame: pd.DataFrame,
    columns: Sequence[tuple[str, str, Callable[[Any], str]]],
    *,
    emphasise: Callable[[pd.Series], bool] | None = None,
) -> Table:
    """The cells of ``frame``'s ``columns`` (column, heading, formatter) as text.

    Text from the data is neutralised against spreadsheet formulas (a pasted cell stays
    text); numbers this package formatted (``"-3.2"``) are not.
    """

    def cell(value: Any, fmt: Callable[[Any], str]) -> str:
        text = fmt(value)
        return str(neutralise_formula(text)) if isinstance(value, str) else text

    rows = tuple(
        TableRow(
            cells=tuple(cell(row[col], fmt) for col, _, fmt in columns),
            total=emphasise is not None and bool(emphasise(row)),
        )
        for _, row in frame.iterrows()
    )
    return Table(head=tuple(str(neutralise_formula(label)) for _, label, _ in columns), rows=rows)


def every_column(frame: pd.DataFrame) -> Table:
    """``frame`` whole, each column headed by its name (the gap and scenario tables)."""
    return report_table(frame, [(c, str(c), _generic) for c in frame.columns])


def _spread(row: pd.Series) -> str:
    """People over 60 minutes with their low and high values: ``"29,496 (45–195,953)"``."""
    if "population_over_60_low" not in row.index:
        return formats.people(row["population_over_60"])
    central, low, high = (row[f"population_over_60{end}"] for end in ("", "_low", "_high"))
    return format_range(central, low, high, formats.people)


def _headline(extras: ReportInputs) -> list[str]:
    """The headline's points, in words."""
    table = extras.headline_sarc
    totals = table[table["area_code"] == "TOTAL"].set_index("slot")
    day, night = extras.headline
    if day.at not in totals.index or night.at not in totals.index:
        return []
    d, n = totals.loc[day.at], totals.loc[night.at]
    people, minutes = formats.people, formats.minutes
    points = [
        f"At {night.at} ({night.name}) {_pct(n['share_nearest_outside_lancashire'])} of "
        f"{LANCASHIRE}'s population have their nearest open SARC outside the county, against "
        f"{_pct(d['share_nearest_outside_lancashire'])} at {day.at} ({day.name}).",
        f"{_spread(n)} people are more than 60 minutes' drive from an open SARC at "
        f"{night.at}, against {_spread(d)} at {day.at} (low and high: drive times 10% "
        "shorter or longer, and each SARC with assumed hours open or closed at that hour).",
        f"Mean drive time to the nearest open SARC: {minutes(n['mean_minutes'])} minutes at "
        f"{night.at}, {minutes(d['mean_minutes'])} minutes at {day.at}.",
    ]
    if n["population_unreached"] > 0 or d["population_unreached"] > 0:
        points.append(
            f"People with no open SARC within reach: {people(n['population_unreached'])} at "
            f"{night.at}, {people(d['population_unreached'])} at {day.at}."
        )
    # Who is served by whom: the same account and words as the app and `service-map sarc`.
    points += [account.sentence() for account in extras.accounts]
    return [str(neutralise_formula(p)) for p in points]


def _service_names(register: pd.DataFrame) -> dict[str, str]:
    return dict(zip(register["id"].astype(str), register["name"].astype(str), strict=True))


def minutes_shading(minutes: pd.Series, classes: formats.MinuteClasses) -> pd.DataFrame:
    """Tooltip text and fill of each LSOA of the report's map, from its mean minutes.

    The fill is the class of :mod:`mapping.formats` the app map and the export use.
    """
    return pd.DataFrame(
        {
            "label": minutes.map(lambda v: formats.minutes(v, unit=" min", missing="no open SARC")),
            "colour": classes.colour(minutes),
        },
        index=minutes.index,
    )


#: The report map's LSOA shapes, by a digest of the names and polygons (the same for
#: every export of one boundaries file): simplified and made GeoJSON once per process.
_SHAPES: Cache[str, Any] = Cache(maxsize=2)


def _lsoa_shapes(lsoas: Any) -> Any:
    """LSOA polygons for the report's map (:class:`mapping.outputs.maps.Shapes`).

    Simplified to 40 m and rounded to 1e-5 degrees (about 1 m): LSOA shapes stay
    recognisable while the page shrinks from about 5 MB to under 2 MB. The names are
    HTML-escaped (tooltip fields go into the page as HTML).
    """
    import hashlib

    import shapely

    from mapping.outputs import maps
    from mapping.study_area import MAP_CRS

    digest = hashlib.blake2b(digest_size=16)
    digest.update("\n".join(lsoas["lsoa21_name"].astype(str)).encode("utf-8"))
    digest.update(b"".join(shapely.to_wkb(lsoas.geometry.to_numpy())))

    def simplify() -> Any:
        simplified = lsoas[["lsoa21_name", "geometry"]].copy()
        simplified["lsoa21_name"] = simplified["lsoa21_name"].astype(str).map(html.escape)
        simplified["geometry"] = lsoas.geometry.simplify(40, preserve_topology=True)
        simplified = simplified.to_crs(MAP_CRS)
        simplified["geometry"] = shapely.set_precision(simplified.geometry.values, 1e-5)
        return maps.Shapes.from_frame(simplified)

    return _SHAPES.get(digest.hexdigest(), simplify)


def _report_map(extras: ReportInputs) -> str:
    """Render the folium map (council areas, SARC minutes by LSOA, services)."""
    import folium

    from mapping.outputs import maps, markers

    register = extras.register
    # Offline-first: Leaflet is inside the page and tiles sit above an offline basemap.
    fmap = maps.base_map()
    # The one classification of minutes (mapping.formats), as the app map and the
    # export's minutes_band columns use it.
    classes = formats.minute_classes()
    lsoas = extras.layers["lsoas"]
    shapes = _lsoa_shapes(lsoas)
    for i, slot in enumerate(extras.headline):
        column = f"sarc_{slot_key(slot)}_mean_minutes"
        shading = minutes_shading(lsoas[column], classes).reset_index(drop=True)
        shown = pd.concat([shapes.table[["lsoa21_name"]], shading], axis=1)

        def style(feature: dict[str, Any]) -> dict[str, Any]:
            fill = feature["properties"]["colour"]
            return {"fillColor": fill, "color": fill, "weight": 0.2, "fillOpacity": 0.6}

        maps.shaded_layer(
            shapes,
            shown,
            name=html.escape(f"SARC minutes, {slot.name} ({slot.at})"),
            show=i == len(extras.headline) - 1,
            style_function=style,
            tooltip=folium.GeoJsonTooltip(
                fields=["lsoa21_name", "label"], aliases=["LSOA", "Mean minutes"]
            ),
        ).add_to(fmap)
    rows = [(markers.swatch(colour), label) for colour, label in classes.legend()]
    rows.append((markers.swatch(formats.NO_DATA_COLOUR), "no open SARC"))
    legend = markers.key_html("Drive minutes to the nearest open SARC", rows)
    markers.KeyControl(legend).add_to(fmap)
    areas = extras.areas.copy()
    areas["geometry"] = areas.geometry.simplify(40, preserve_topology=True)
    maps.add_council_areas(fmap, areas)
    maps.add_area_labels(fmap, areas)
    maps.add_confidential_districts(fmap, areas, register)
    maps.add_services(fmap, register)
    folium.LayerControl(collapsed=False).add_to(fmap)
    return fmap.get_root().render()


def _sarc_group_columns() -> list[tuple[str, str, Callable[[Any], str]]]:
    """The SARC table's group columns, headed by the study area's group labels."""
    labels = study_area().sarc_group_labels
    columns: list[tuple[str, str, Callable[[Any], str]]] = []
    for i, (key, label) in enumerate(labels.items()):
        heading = f"Nearest: {label}" if i == 0 else label[:1].upper() + label[1:]
        columns.append((f"share_nearest_{key}", heading, _pct))
    return columns


def render_report(context: ExportContext, extras: ReportInputs) -> str:
    """The report page: the template lays out and escapes every value and table."""
    names = _service_names(extras.register)
    sarc = extras.sarc.copy()
    sarc["nearest_service_name"] = sarc["nearest_service"].map(
        lambda sid: names.get(str(sid), str(sid)) if isinstance(sid, str) else ""
    )
    sarc_table = report_table(
        sarc,
        [
            ("area_name", "Council area", _generic),
            ("slot", "Slot", _generic),
            ("slot_name", "", _generic),
            ("population", "Population", formats.people),
            *_sarc_group_columns(),
            ("share_nearest_outside_lancashire", f"Outside {LANCASHIRE}", _pct),
            ("mean_minutes", "Mean min", formats.minutes),
            ("minutes_added", "Minutes added vs first slot", formats.minutes),
            ("population_over_60", "People > 60 min", formats.people),
            ("population_over_90", "People > 90 min", formats.people),
            ("nearest_service_name", "Nearest open SARC (most residents)", _generic),
        ],
        emphasise=lambda row: row["area_code"] == "TOTAL",
    )
    glance = []
    for (_, level), frame in extras.coverage.items():
        if level == "district":
            glance.append(frame[frame["area_code"] == "TOTAL"])
    glance_frame = pd.concat(glance, ignore_index=True)
    beyond = next(c for c in glance_frame.columns if c.startswith("population_beyond_"))
    within = [c for c in glance_frame.columns if re.fullmatch(r"share_within_[\d.]+", c)]
    # Each share and count as text with its low and high where the table carries them
    # ("1.9% (0.1–7.6%)", docs/ranges.md); the template writes the text.
    shown = {c: format_range_column(glance_frame, c, _pct) for c in within}
    shown[beyond] = format_range_column(glance_frame, beyond, formats.people)
    glance_ranges = any(f"{c}_low" in glance_frame.columns for c in shown)
    glance_frame = glance_frame.assign(**{f"{c}_text": text for c, text in shown.items()})
    glance_table = report_table(
        glance_frame,
        [
            ("category", "Category", _generic),
            ("age_band", "Population", _generic),
            ("slot", "Slot", _generic),
            ("slot_name", "", _generic),
            ("eligible_population", "People", formats.people),
            ("mean_minutes", "Mean min", formats.minutes),
            ("p90_minutes", "90th pct min", formats.minutes),
            *[(f"{c}_text", f"Within {c.removeprefix('share_within_')} min", str) for c in within],
            (
                f"{beyond}_text",
                f"People beyond {beyond.removeprefix('population_beyond_')} min",
                str,
            ),
            ("share_nearest_outside_lancashire", f"Nearest outside {LANCASHIRE}", _pct),
        ],
    )
    gaps = extras.gaps
    section = extras.scenario
    return _TEMPLATES.get_template("report.html.j2").render(
        title=f"{LANCASHIRE} victim services: drive-time coverage",
        area=LANCASHIRE,
        version=__version__,
        generated_at=context.generated_at,
        network_source=context.network_source,
        headline=_headline(extras),
        # The map page goes into srcdoc: autoescaping escapes it as an attribute value.
        map_doc=_report_map(extras),
        sarc_table=sarc_table,
        glance_table=glance_table,
        glance_ranges=glance_ranges,
        gaps_table=None if gaps.empty else every_column(gaps),
        need=extras.need_section,
        scenario=section,
        method=list(context.method),
        parameters=list(context.parameters),
        sources=list(context.sources),
        notes=list(context.notes),
        attribution=list(ATTRIBUTION),
    )
