"""The export pack's self-contained HTML report."""

from __future__ import annotations

import functools
import html
import math
import re
from collections.abc import Callable, Sequence
from typing import Any

import numpy as np
import pandas as pd
from jinja2 import Environment, PackageLoader, select_autoescape
from markupsafe import Markup

from mapping import ATTRIBUTION, __version__, formats
from mapping.caching import Cache
from mapping.outputs.layers import slot_key
from mapping.outputs.pack import ExportContext, ReportInputs
from mapping.safety import neutralise_formula

#: The report's page: autoescaped Jinja2 (issue 9), values escaped where they land.
_TEMPLATES = Environment(
    loader=PackageLoader("mapping.outputs", "templates"),
    autoescape=select_autoescape(default=True, default_for_string=True),
    keep_trailing_newline=True,
)


def _esc(value: Any) -> str:
    return html.escape(str(neutralise_formula(value)), quote=True)


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


def _html_table(
    frame: pd.DataFrame,
    columns: Sequence[tuple[str, str, Callable[[Any], str]]],
    *,
    emphasise: Callable[[pd.Series], bool] | None = None,
) -> str:
    def cell(value: Any, fmt: Callable[[Any], str]) -> str:
        text = fmt(value)
        # Text from the data is neutralised; numbers we formatted ("-3.2") are not.
        return _esc(text) if isinstance(value, str) else html.escape(text, quote=True)

    head = "".join(f"<th>{_esc(label)}</th>" for _, label, _ in columns)
    body = []
    for _, row in frame.iterrows():
        cells = "".join(f"<td>{cell(row[col], fmt)}</td>" for col, _, fmt in columns)
        attr = ' class="total"' if emphasise is not None and emphasise(row) else ""
        body.append(f"<tr{attr}>{cells}</tr>")
    return f"<table><thead><tr>{head}</tr></thead><tbody>{''.join(body)}</tbody></table>"


def _spread(row: pd.Series) -> str:
    """People over 60 minutes with their low and high values: ``"29,496 (45–195,953)"``."""
    central = formats.people(row["population_over_60"])
    if "population_over_60_low" not in row.index:
        return central
    low, high = (formats.people(row[f"population_over_60_{e}"]) for e in ("low", "high"))
    return central if low == high else f"{central} ({low}–{high})"


def _headline_html(extras: ReportInputs) -> str:
    table = extras.headline_sarc
    totals = table[table["area_code"] == "TOTAL"].set_index("slot")
    day, night = extras.headline
    if day.at not in totals.index or night.at not in totals.index:
        return ""
    d, n = totals.loc[day.at], totals.loc[night.at]
    people, minutes = formats.people, formats.minutes
    points = [
        f"At {night.at} ({night.name}) {_pct(n['share_nearest_outside_lancashire'])} of "
        f"Lancashire's population have their nearest open SARC outside the county, against "
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
    return "<ul class='headline'>" + "".join(f"<li>{_esc(p)}</li>" for p in points) + "</ul>"


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
    markers.KeyControl(legend, "bottomright").add_to(fmap)
    areas = extras.areas.copy()
    areas["geometry"] = areas.geometry.simplify(40, preserve_topology=True)
    maps.add_council_areas(fmap, areas)
    maps.add_area_labels(fmap, areas)
    maps.add_confidential_districts(fmap, areas, register)
    maps.add_services(fmap, register)
    folium.LayerControl(collapsed=False).add_to(fmap)
    return fmap.get_root().render()


_CSS = """
body{font-family:system-ui,-apple-system,'Segoe UI',sans-serif;margin:1.5rem auto;
max-width:1200px;padding:0 1rem;color:#222;line-height:1.45}
h1{font-size:1.6rem}h2{font-size:1.2rem;margin-top:2rem;border-bottom:1px solid #ccc}
table{border-collapse:collapse;font-size:.82rem;margin:.5rem 0}
th,td{border:1px solid #ccc;padding:.2rem .4rem;text-align:left;vertical-align:top}
th{background:#f2f2f2}tr.total td{font-weight:bold;background:#fafafa}
.map{width:100%;height:620px;border:1px solid #ccc}
.meta{color:#555}.attribution{font-size:.8rem;color:#444;border-top:1px solid #ccc;
margin-top:2rem;padding-top:.5rem}.headline li{margin:.3rem 0}
.scroll{max-height:32rem;overflow:auto}
"""


def render_report(context: ExportContext, extras: ReportInputs) -> str:
    names = _service_names(extras.register)
    sarc = extras.sarc.copy()
    sarc["nearest_service_name"] = sarc["nearest_service"].map(
        lambda sid: names.get(str(sid), str(sid)) if isinstance(sid, str) else ""
    )
    sarc_table = _html_table(
        sarc,
        [
            ("area_name", "Council area", _generic),
            ("slot", "Slot", _generic),
            ("slot_name", "", _generic),
            ("population", "Population", formats.people),
            ("share_nearest_preston", "Nearest: Preston", _pct),
            ("share_nearest_manchester", "Manchester", _pct),
            ("share_nearest_cumbria", "Cumbria", _pct),
            ("share_nearest_other", "Other", _pct),
            ("share_nearest_outside_lancashire", "Outside Lancashire", _pct),
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
    glance_table = _html_table(
        glance_frame,
        [
            ("category", "Category", _generic),
            ("age_band", "Population", _generic),
            ("slot", "Slot", _generic),
            ("slot_name", "", _generic),
            ("eligible_population", "People", formats.people),
            ("mean_minutes", "Mean min", formats.minutes),
            ("p90_minutes", "90th pct min", formats.minutes),
            *[(c, f"Within {c.removeprefix('share_within_')} min", _pct) for c in within],
            (
                beyond,
                f"People beyond {beyond.removeprefix('population_beyond_')} min",
                formats.people,
            ),
            ("share_nearest_outside_lancashire", "Nearest outside Lancashire", _pct),
        ],
    )
    gaps = extras.gaps
    if gaps.empty:
        gaps_html = "<p>No gaps found by the rules.</p>"
    else:
        gaps_html = (
            "<div class='scroll'>"
            + _html_table(gaps, [(c, str(c), _generic) for c in gaps.columns])
            + "</div>"
        )
    scenario_tables = [
        (
            table.description,
            Markup(_html_table(table.frame, [(c, str(c), _generic) for c in table.frame.columns])),
        )
        for table in extras.scenario_tables
    ]
    return _TEMPLATES.get_template("report.html.j2").render(
        title="Lancashire victim services: drive-time coverage",
        version=__version__,
        css=Markup(_CSS),
        generated_at=context.generated_at,
        network_source=context.network_source,
        headline=Markup(_headline_html(extras)),
        # The map page goes into srcdoc: autoescaping escapes it as an attribute value.
        map_doc=_report_map(extras),
        sarc_table=Markup(sarc_table),
        glance_table=Markup(glance_table),
        gaps_html=Markup(gaps_html),
        need_html=Markup(extras.need_html),
        scenario_name=extras.scenario_name if scenario_tables else "",
        scenario_tables=scenario_tables,
        method=list(context.method),
        parameters=list(context.parameters),
        sources=list(context.sources),
        notes=list(context.notes),
        attribution=list(ATTRIBUTION),
    )
