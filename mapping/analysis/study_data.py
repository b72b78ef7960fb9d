"""The study's data as one typed, immutable object: what every analysis is given.

A :class:`StudyData` holds the travel engine (and through it the road network), the
population-weighted origins, the services register and the register changes a what-if
view applies; the need layer, area names and boundaries are read from ``data_dir`` on
first use and shared by every view of the same study. It is a frozen dataclass: a
what-if view (:meth:`StudyData.with_changes`) is a new object over the same base data
(the same origins and register frames, the same base engine's vectors), never a change
to the study it came from. :class:`mapping.Study` composes one; the analyses take it
(or the :class:`mapping.analysis.coverage.CoverageModel` that answers coverage queries
over it).
"""

from __future__ import annotations

import contextlib
import dataclasses
from collections.abc import Mapping
from dataclasses import dataclass, field
from pathlib import Path
from typing import TYPE_CHECKING, Literal, TypedDict

import pandas as pd

from mapping.caching import Cache
from mapping.inputs.vocabulary import LANCASHIRE

if TYPE_CHECKING:
    import geopandas as gpd

    from mapping.inputs.sources import Sources
    from mapping.network.graph import RoadNetwork
    from mapping.routing.engine import TravelEngine

__all__ = ["ChangeFilters", "RegisterChanges", "SharedData", "StudyData", "site_spec"]

#: A register value: text, a number, a list of crime types, a point, or missing.
RecordValue = object


@dataclass(frozen=True)
class RegisterChanges:
    """Changes to the register applied at query time, leaving the register untouched.

    Attributes
    ----------
    hours
        ``{service_id: opening_hours}`` replacing a service's hours.
    closed
        Ids of services treated as closed for good.
    added
        What-if services as register-like records (``id``, ``name``, ``category``,
        ``opening_hours``, ``district``, ``provider_area``, ``geometry`` in EPSG:27700
        and any other register column). A view routes them on its own engine
        (:meth:`mapping.routing.engine.TravelEngine.with_sites`).
    """

    hours: Mapping[str, str] = field(default_factory=dict)
    closed: frozenset[str] = frozenset()
    added: tuple[Mapping[str, RecordValue], ...] = ()

    @property
    def added_ids(self) -> tuple[str, ...]:
        """Ids of the what-if services."""
        return tuple(str(record["id"]) for record in self.added)

    @property
    def is_empty(self) -> bool:
        """True when nothing is changed (the baseline)."""
        return not (self.hours or self.closed or self.added)


class ChangeFilters(TypedDict):
    """A view's changes as keyword arguments of the engine and the analysis kernels."""

    exclude: list[str]
    extra_services: list[str]
    hours_override: dict[str, str]


class SharedData:
    """Data read from ``data_dir`` on first use, the same for every view of a study.

    Each cache is locked (:class:`mapping.caching.Cache`): the app's sessions ask from
    several threads at once.
    """

    def __init__(self) -> None:
        self.need: Cache[bool, gpd.GeoDataFrame] = Cache(maxsize=2)
        self.names: Cache[str, dict[str, dict[str, str]]] = Cache(maxsize=1)


@dataclass(frozen=True, eq=False)
class StudyData:
    """The study area's data, register and travel engine, with the view's changes.

    Attributes
    ----------
    engine
        The travel engine (a what-if view's engine routes its added sites).
    origins
        Population-weighted origins (EPSG:27700), indexed from 0.
    register
        The baseline services register (never modified; see :meth:`effective_register`).
    data_dir
        Generated-data folder (``None``: the default ``data/``).
    services_path
        The register's file (``None`` for a register given as a frame).
    changes
        The register changes this view applies (empty for the baseline).
    shared
        Lazily read data shared by every view of the study (need layer, area names).
    """

    engine: TravelEngine
    origins: gpd.GeoDataFrame
    register: gpd.GeoDataFrame
    data_dir: Path | None = None
    services_path: Path | None = None
    changes: RegisterChanges = field(default_factory=RegisterChanges)
    shared: SharedData = field(default_factory=SharedData, repr=False)

    @classmethod
    def of(
        cls,
        engine: TravelEngine,
        origins: gpd.GeoDataFrame,
        register: gpd.GeoDataFrame,
        *,
        data_dir: Path | None = None,
        services_path: Path | None = None,
        changes: RegisterChanges | None = None,
    ) -> StudyData:
        """The data of a study, its origins indexed from 0."""
        return cls(
            engine,
            origins.reset_index(drop=True),
            register,
            data_dir=data_dir,
            services_path=services_path,
            changes=changes or RegisterChanges(),
        )

    @classmethod
    def load(
        cls,
        *,
        data_dir: Path | None = None,
        sources: Path | Sources | None = None,
        services: Path | pd.DataFrame | None = None,
        network: str = "offline",
        build: bool = True,
        progress: bool = False,
    ) -> StudyData:
        """Load (building what is missing) the data, the register and the engine.

        Parameters
        ----------
        data_dir
            Generated-data folder (default ``data/``).
        sources
            Raw sources folder or located :class:`mapping.inputs.sources.Sources` (used only
            when something must be built).
        services
            Register path or frame (default ``data/services.csv``).
        network
            ``"offline"`` (default) or ``"osm"``.
        build
            Build missing or stale data and network.
        progress
            Show progress bars while building.
        """
        from mapping import geography
        from mapping.inputs import register as services_mod
        from mapping.inputs.sources import Sources, locate_sources
        from mapping.routing.loading import build_engine

        located = None
        if build:
            located = sources if isinstance(sources, Sources) else locate_sources(sources)
            geography.build(located, data_dir, progress=progress)
        if isinstance(services, pd.DataFrame):
            register, services_path = services, None
        else:
            services_path = Path(services) if services else services_mod.default_register_path()
            register = services_mod.load_register(services_path, sources=located)
        origins = geography.load_origins(data_dir)
        engine = build_engine(
            network,
            data_dir=data_dir,
            sources=located,
            register=register,
            origins=origins,
            build_if_missing=build,
        )
        return cls.of(engine, origins, register, data_dir=data_dir, services_path=services_path)

    # ---- views --------------------------------------------------------------------

    def with_changes(self, changes: RegisterChanges) -> StudyData:
        """A view with ``changes`` applied over the same base data (this one is unchanged).

        What-if sites are routed on a view of the base engine (its vectors shared,
        read-only), so views cost one search per added site and profile.
        """
        engine = self.engine.root
        if changes.added:
            engine = engine.with_sites(site_spec(record) for record in changes.added)
        return dataclasses.replace(self, engine=engine, changes=changes)

    def with_engine(self, engine: TravelEngine, register: gpd.GeoDataFrame) -> StudyData:
        """The same study on another register (and its engine): a baseline, sharing the rest."""
        return dataclasses.replace(
            self, engine=engine, register=register, services_path=None, changes=RegisterChanges()
        )

    # ---- facts --------------------------------------------------------------------

    @property
    def network(self) -> RoadNetwork:
        """The road network the minutes come from."""
        return self.engine.network

    @property
    def network_source(self) -> str:
        """Which network the minutes come from (``offline`` or ``osm``)."""
        return str(self.engine.network.source)

    def need(self, *, geometry: bool = True) -> gpd.GeoDataFrame:
        """The need layer, one row per LSOA (with its polygon unless ``geometry=False``).

        Raises
        ------
        NeedError
            Naming ``need/lsoa_need.csv`` when it is missing or damaged.
        """
        from mapping.geography.need import load_need

        return self.shared.need.get(geometry, lambda: load_need(self.data_dir, geometry=geometry))

    def boundaries(self, level: Literal["district", "ward", "lsoa"]) -> gpd.GeoDataFrame:
        """Council areas, wards or LSOAs as a GeoDataFrame (EPSG:27700)."""
        from mapping import geography

        loader = {
            "district": geography.load_council_areas,
            "ward": geography.load_wards,
            "lsoa": geography.load_lsoas,
        }[level]
        return loader(self.data_dir)

    def area_names(self, by: Literal["district", "ward", "lsoa"]) -> dict[str, str]:
        """``{code: name}`` for LSOAs, wards or council areas."""

        def read() -> dict[str, dict[str, str]]:
            lsoas = self.boundaries("lsoa")
            wards = self.boundaries("ward")
            areas = self.boundaries("district")
            return {
                "lsoa": dict(zip(lsoas["lsoa21_code"], lsoas["lsoa21_name"], strict=True)),
                "ward": dict(zip(wards["ward_code"], wards["ward_name"], strict=True)),
                "district": dict(zip(areas["lad_code"], areas["lad_name"], strict=True)),
            }

        return self.shared.names.get("names", read)[by]

    def effective_register(self) -> gpd.GeoDataFrame:
        """The register as this view sees it: changed hours, closures, what-if sites.

        The baseline register object is never modified; a new frame is returned.
        """
        import geopandas as gpd

        register = self.register.copy()
        if self.changes.is_empty:
            return register
        for service_id, expression in self.changes.hours.items():
            register.loc[register["id"] == service_id, "opening_hours"] = expression
        register = register[~register["id"].isin(self.changes.closed)]
        if self.changes.added:
            added = gpd.GeoDataFrame(
                [dict(record) for record in self.changes.added],
                geometry="geometry",
                crs=register.crs,
            )
            added["what_if"] = True
            register = pd.concat([register.assign(what_if=False), added], ignore_index=True)
            # Keep the register's own column types (nullable ints stay ints, not objects).
            for column, dtype in self.register.dtypes.items():
                if column != "geometry" and register[column].dtype != dtype:
                    # A what-if value the baseline type cannot hold keeps its own type.
                    with contextlib.suppress(TypeError, ValueError):
                        register[column] = register[column].astype(dtype)
        return gpd.GeoDataFrame(register, geometry="geometry", crs=self.register.crs)

    def change_filters(self) -> ChangeFilters:
        """This view's changes as the engine's and the kernels' keyword arguments take them."""
        return {
            "exclude": sorted(self.changes.closed),
            "extra_services": list(self.changes.added_ids),
            "hours_override": dict(self.changes.hours),
        }


def site_spec(record: Mapping[str, RecordValue]) -> dict[str, object]:
    """The engine's description of a what-if site from its register-like record."""
    point = record["geometry"]
    crimes = record.get("crime_types")
    return {
        "id": str(record["id"]),
        "xy": (float(point.x), float(point.y)),  # type: ignore[attr-defined]
        "category": record["category"],
        "name": record.get("name"),
        "opening_hours": record.get("opening_hours") or "",
        "min_age": record.get("min_age"),
        "max_age": record.get("max_age"),
        "crime_types": tuple(crimes) if isinstance(crimes, list | tuple) and crimes else ("all",),
        "provider_area": record.get("provider_area", LANCASHIRE),
    }
