"""Find, verify and read the raw public source files.

The raw files are the publishers' own open data (OS, Royal Mail, ONS, MHCLG). They are
never copied into the repository: they are read from a sources folder, found in this
order:

1. the folder given explicitly (``--sources DIR`` on the command line);
2. the ``SERVICE_MAP_SOURCES`` environment variable;
3. ``../shared/data`` beside the repository checkout;
4. ``data/downloads/`` under the generated-data folder, filled from the publishers'
   URLs by :func:`download_sources` where there is internet.

Each file is checked against ``SHA256SUMS`` in that folder when the file is present.
A missing or corrupt file raises :class:`SourceError` naming the file and every place
that was searched.
"""

from __future__ import annotations

import io
import os
import urllib.request
import zipfile
from collections.abc import Iterable
from dataclasses import dataclass, field
from pathlib import Path

import geopandas as gpd
import pandas as pd

from mapping.errors import ServiceMapError
from mapping.store import default_data_dir, repo_root, sha256_file

__all__ = [
    "LANCASHIRE_LAD_CODES",
    "SOURCES_ENV",
    "SourceError",
    "SourceFile",
    "Sources",
    "download_sources",
    "locate_sources",
]

SOURCES_ENV = "SERVICE_MAP_SOURCES"

#: The 14 council areas of the Lancashire police force area: the 12 districts of
#: Lancashire County Council and the unitaries Blackburn with Darwen and Blackpool.
LANCASHIRE_LAD_CODES: tuple[str, ...] = (
    "E06000008",  # Blackburn with Darwen
    "E06000009",  # Blackpool
    "E07000117",  # Burnley
    "E07000118",  # Chorley
    "E07000119",  # Fylde
    "E07000120",  # Hyndburn
    "E07000121",  # Lancaster
    "E07000122",  # Pendle
    "E07000123",  # Preston
    "E07000124",  # Ribble Valley
    "E07000125",  # Rossendale
    "E07000126",  # South Ribble
    "E07000127",  # West Lancashire
    "E07000128",  # Wyre
)

_ONS_ARCGIS = "https://services1.arcgis.com/ESMARspQHYMw9BZ9/arcgis/rest/services"


@dataclass(frozen=True)
class SourceFile:
    """One raw source file: where it sits in the sources folder and where it comes from."""

    key: str
    relpath: str
    title: str
    publisher: str
    url: str | None = None
    #: True when the mirror holds a conversion the publisher does not serve as such,
    #: so a download cannot reproduce it byte for byte.
    converted: bool = False


def _boundary_files(kind: str, service: str, code_field: str) -> list[SourceFile]:
    files = []
    for lad in LANCASHIRE_LAD_CODES:
        query = f"query?where=LADCD_ACTIVE%3D%27{lad}%27&outFields=*&outSR=4326&f=geojson"
        if code_field:
            query = f"query?where={code_field}%3D%27{lad}%27&outFields=*&outSR=4326&f=geojson"
        files.append(
            SourceFile(
                key=f"{kind}/{lad}",
                relpath=f"ons-boundaries/{kind}/{lad}.geojson",
                title=f"ONS {kind.upper()} boundaries for {lad}",
                publisher="Office for National Statistics",
                url=f"{_ONS_ARCGIS}/{service}/FeatureServer/0/{query}",
            )
        )
    return files


_CATALOGUE: list[SourceFile] = [
    SourceFile(
        key="codepoint",
        relpath="os-code-point-open/codepo_gb.zip",
        title="OS Code-Point Open (postcode units with grid references)",
        publisher="Ordnance Survey",
        url="https://api.os.uk/downloads/v1/products/CodePointOpen/downloads?area=GB&format=CSV&redirect",
    ),
    SourceFile(
        key="motorways",
        relpath="os-open-roads/motorways_gb.fgb",
        title="OS Open Roads, motorway links",
        publisher="Ordnance Survey",
        # The official product is the full OpenRoads GeoPackage; the mirror holds a
        # motorway-only FlatGeobuf filtered from it.
        url="https://api.os.uk/downloads/v1/products/OpenRoads/downloads?area=GB&format=GeoPackage&redirect",
        converted=True,
    ),
    SourceFile(
        key="lad",
        relpath="ons-boundaries/lad/lancashire_districts.geojson",
        title="ONS Local Authority Districts (December 2022), Lancashire",
        publisher="Office for National Statistics",
        url=f"{_ONS_ARCGIS}/Local_Authority_Districts_December_2022_UK_BGC_V2/FeatureServer/0/"
        "query?where=LAD22CD%20IN%20("
        + ",".join(f"%27{c}%27" for c in LANCASHIRE_LAD_CODES)
        + ")&outFields=*&outSR=4326&f=geojson",
        converted=True,
    ),
    *_boundary_files("lsoa21", "Lower_layer_Super_Output_Areas_2021_EW_BGC_V5", ""),
    *_boundary_files("ward25", "Wards_May_2025_Boundaries_UK_BGC", "LAD25CD"),
    SourceFile(
        key="census",
        relpath="census-2021/lsoa21_usual_residents_by_age.csv",
        title="Census 2021 usual residents by LSOA and age band",
        publisher="Office for National Statistics",
        url="https://www.nomisweb.co.uk/sources/census_2021_bulk",
        converted=True,
    ),
    SourceFile(
        key="iod",
        relpath="iod-2019/iod2019_lsoa11_england.csv",
        title="English Indices of Deprivation 2019 by LSOA 2011",
        publisher="Ministry of Housing, Communities and Local Government",
        url="https://www.gov.uk/government/statistics/english-indices-of-deprivation-2019",
        converted=True,
    ),
]

CATALOGUE: dict[str, SourceFile] = {f.key: f for f in _CATALOGUE}


class SourceError(ServiceMapError):
    """A raw source file is missing, corrupt or unreadable; the message says which."""


def _read_checksums(root: Path) -> dict[str, str]:
    sums_file = root / "SHA256SUMS"
    if not sums_file.is_file():
        return {}
    sums: dict[str, str] = {}
    try:
        text = sums_file.read_bytes().decode("utf-8-sig")
    except UnicodeDecodeError as exc:
        raise SourceError(
            f"{sums_file}: not a text checksum list (byte {exc.start} is not UTF-8 text). "
            "It should hold lines '<sha256>  <relative path>' as `sha256sum` writes them; "
            "replace it or remove it."
        ) from exc
    except OSError as exc:
        raise SourceError(f"{sums_file}: cannot be read ({exc.strerror or exc})") from exc
    for line in text.splitlines():
        parts = line.strip().split(maxsplit=1)
        if len(parts) == 2:
            sums[parts[1].lstrip("*").strip()] = parts[0].lower()
    return sums


@dataclass
class Sources:
    """A located sources folder, with lazy SHA-256 verification of each file read.

    Parameters
    ----------
    root
        The folder holding the raw files in the published layout.
    origin
        How the folder was chosen (for messages): ``--sources``, the environment
        variable, the shared folder beside the repository, or the download cache.
    searched
        Every place that was considered, in order, for error messages.
    """

    root: Path
    origin: str
    searched: list[str] = field(default_factory=list)
    _expected: dict[str, str] = field(default_factory=dict, repr=False)
    _verified: dict[str, str] = field(default_factory=dict, repr=False)

    def __post_init__(self) -> None:
        self.root = Path(self.root).resolve()
        self._expected = _read_checksums(self.root)

    @property
    def has_checksums(self) -> bool:
        """Whether the folder carries a ``SHA256SUMS`` file to verify against."""
        return bool(self._expected)

    def path(self, key: str) -> Path:
        """Return the verified path of source ``key``.

        Raises
        ------
        SourceError
            If the file is missing or its checksum differs from ``SHA256SUMS``.
        """
        spec = CATALOGUE[key]
        path = self.root / spec.relpath
        if not path.is_file():
            places = "; ".join(self.searched) if self.searched else str(self.root)
            raise SourceError(
                f"{spec.relpath}: missing source file ({spec.title}, {spec.publisher}). "
                f"Looked in {self.root} (chosen from {self.origin}). Places searched: {places}. "
                f"Point --sources or {SOURCES_ENV} at a folder holding it."
            )
        self.checksum(key)
        return path

    def checksum(self, key: str) -> str:
        """Return the SHA-256 of source ``key``, verifying it against ``SHA256SUMS``."""
        if key in self._verified:
            return self._verified[key]
        spec = CATALOGUE[key]
        path = self.root / spec.relpath
        if not path.is_file():
            return self.path(key)  # raises the missing-file error
        actual = sha256_file(path)
        expected = self._expected.get(spec.relpath)
        if expected is not None and expected != actual:
            raise SourceError(
                f"{path}: checksum mismatch (expected {expected[:12]}…, got {actual[:12]}…); "
                "the file is corrupt or not the published version. Replace it with the "
                "publisher's file."
            )
        self._verified[key] = actual
        return actual

    def checksums(self, keys: Iterable[str]) -> dict[str, str]:
        """Return ``{relpath: sha256}`` for the given sources, verifying each."""
        return {CATALOGUE[k].relpath: self.checksum(k) for k in keys}

    def verify_all(self) -> dict[str, str]:
        """Verify every catalogued file; return ``{relpath: sha256}``."""
        return self.checksums(CATALOGUE)

    # ---- readers ---------------------------------------------------------------

    def read_codepoint(
        self,
        areas: Iterable[str] | None = None,
        bbox_27700: tuple[float, float, float, float] | None = None,
    ) -> pd.DataFrame:
        """Read OS Code-Point Open postcode units from the published zip.

        Parameters
        ----------
        areas
            Postcode areas to read (``"PR"``, ``"M"``); all areas when omitted.
        bbox_27700
            Keep only units inside ``(minx, miny, maxx, maxy)`` in British National Grid.

        Returns
        -------
        pandas.DataFrame
            ``postcode`` (as published, e.g. ``"PR2 9HT"``), ``pqi`` (positional quality),
            ``easting``, ``northing``, ``country_code``, ``county_code``,
            ``district_code``, ``ward_code``. Units without coordinates are dropped.
        """
        path = self.path("codepoint")
        wanted = {a.lower() for a in areas} if areas is not None else None
        try:
            with zipfile.ZipFile(path) as archive:
                headers = _codepoint_headers(archive)
                members = [
                    n
                    for n in archive.namelist()
                    if n.startswith("Data/CSV/") and n.endswith(".csv")
                    if wanted is None or Path(n).stem.lower() in wanted
                ]
                frames = []
                for name in members:
                    with archive.open(name) as handle:
                        frame = pd.read_csv(
                            handle,
                            header=None,
                            names=headers,
                            usecols=range(len(headers)),
                            dtype={"Eastings": "int64", "Northings": "int64"},
                        )
                    frames.append(frame)
        except (zipfile.BadZipFile, KeyError, ValueError) as exc:
            raise SourceError(f"{path}: not a readable Code-Point Open zip ({exc})") from exc
        if not frames:
            columns = [
                "postcode",
                "pqi",
                "easting",
                "northing",
                "country_code",
                "county_code",
                "district_code",
                "ward_code",
            ]
            return pd.DataFrame(columns=columns)
        table = pd.concat(frames, ignore_index=True).rename(
            columns={
                "Postcode": "postcode",
                "Positional_quality_indicator": "pqi",
                "Eastings": "easting",
                "Northings": "northing",
                "Country_code": "country_code",
                "Admin_county_code": "county_code",
                "Admin_district_code": "district_code",
                "Admin_ward_code": "ward_code",
            }
        )
        table = table[
            [
                "postcode",
                "pqi",
                "easting",
                "northing",
                "country_code",
                "county_code",
                "district_code",
                "ward_code",
            ]
        ]
        # A handful of units are published without a grid reference (0, 0).
        table = table[(table["easting"] > 0) & (table["northing"] > 0)]
        if bbox_27700 is not None:
            minx, miny, maxx, maxy = bbox_27700
            inside = table["easting"].between(minx, maxx) & table["northing"].between(miny, maxy)
            table = table[inside]
        return table.reset_index(drop=True)

    def read_lad(self) -> gpd.GeoDataFrame:
        """Read the 14 Lancashire council-area polygons (``lad_code``, ``lad_name``)."""
        frame = self._read_vector("lad")
        return frame.rename(columns={"objectid": "lad_code", "district": "lad_name"})[
            ["lad_code", "lad_name", "geometry"]
        ]

    def read_lsoa(self) -> gpd.GeoDataFrame:
        """Read the Census 2021 LSOA polygons of all 14 council areas."""
        frames = [self._read_vector(f"lsoa21/{lad}") for lad in LANCASHIRE_LAD_CODES]
        frame = pd.concat(frames, ignore_index=True)
        frame = frame.rename(
            columns={
                "LSOA21CD": "lsoa21_code",
                "LSOA21NM": "lsoa21_name",
                "LADCD_ACTIVE": "lad_code",
            }
        )
        return gpd.GeoDataFrame(
            frame[["lsoa21_code", "lsoa21_name", "lad_code", "geometry"]], crs=frames[0].crs
        )

    def read_wards(self) -> gpd.GeoDataFrame:
        """Read the 2025 electoral-ward polygons of all 14 council areas."""
        frames = [self._read_vector(f"ward25/{lad}") for lad in LANCASHIRE_LAD_CODES]
        frame = pd.concat(frames, ignore_index=True)
        frame = frame.rename(
            columns={"WD25CD": "ward_code", "WD25NM": "ward_name", "LAD25CD": "lad_code"}
        )
        return gpd.GeoDataFrame(
            frame[["ward_code", "ward_name", "lad_code", "geometry"]], crs=frames[0].crs
        )

    def read_census(self) -> pd.DataFrame:
        """Read Census 2021 usual residents by LSOA and age band (long format)."""
        path = self.path("census")
        try:
            return pd.read_csv(
                path,
                dtype={"lsoa21_code": "string", "lsoa21_name": "string", "age_group": "string"},
            )
        except (ValueError, OSError) as exc:
            raise SourceError(f"{path}: unreadable census table ({exc})") from exc

    def read_iod(self) -> pd.DataFrame:
        """Read the English Indices of Deprivation 2019 by LSOA 2011."""
        path = self.path("iod")
        try:
            return pd.read_csv(path)
        except (ValueError, OSError) as exc:
            raise SourceError(f"{path}: unreadable deprivation table ({exc})") from exc

    def read_motorways(
        self, bbox_27700: tuple[float, float, float, float] | None = None
    ) -> gpd.GeoDataFrame:
        """Read OS Open Roads motorway links, in EPSG:27700, optionally clipped to a box."""
        frame = self._read_vector("motorways").to_crs(27700)
        if bbox_27700 is not None:
            frame = frame.cx[bbox_27700[0] : bbox_27700[2], bbox_27700[1] : bbox_27700[3]]
        return frame.reset_index(drop=True)

    def _read_vector(self, key: str) -> gpd.GeoDataFrame:
        path = self.path(key)
        try:
            return gpd.read_file(path)
        except Exception as exc:  # pyogrio raises several error types for bad files
            raise SourceError(f"{path}: unreadable vector file ({exc})") from exc


def _codepoint_headers(archive: zipfile.ZipFile) -> list[str]:
    """Return the long column names from the zip's own header document."""
    name = next(
        (n for n in archive.namelist() if n.endswith("Code-Point_Open_Column_Headers.csv")),
        None,
    )
    if name is None:
        raise KeyError("Doc/Code-Point_Open_Column_Headers.csv")
    lines = archive.read(name).decode("utf-8-sig").strip().splitlines()
    return [h.strip() for h in lines[-1].split(",")]


def _shared_beside_repo() -> Path:
    return repo_root().parent / "shared" / "data"


def locate_sources(explicit: str | os.PathLike[str] | None = None) -> Sources:
    """Find the raw sources folder (see the module docstring for the order).

    Parameters
    ----------
    explicit
        A folder given by the user (``--sources``); when given it must exist.

    Raises
    ------
    SourceError
        If no candidate folder exists; the message lists every place searched.
    """
    searched: list[str] = []
    candidates: list[tuple[Path, str]] = []
    if explicit is not None:
        candidates.append((Path(explicit).expanduser(), "--sources"))
    else:
        env = os.environ.get(SOURCES_ENV)
        if env:
            candidates.append((Path(env).expanduser(), f"${SOURCES_ENV}"))
        candidates.append((_shared_beside_repo(), "../shared/data beside the repository"))
        candidates.append((default_data_dir() / "downloads", "the download cache"))
    for path, origin in candidates:
        searched.append(f"{path} ({origin})")
        if path.is_dir():
            return Sources(root=path, origin=origin, searched=searched)
        if origin in ("--sources", f"${SOURCES_ENV}"):
            break  # a folder the user named must exist: do not fall back silently
    raise SourceError(
        "No sources folder found. Searched: "
        + "; ".join(searched)
        + f". Give one with --sources DIR or {SOURCES_ENV}, or run "
        "`service-map data download` where there is internet."
    )


def download_sources(dest: Path | None = None, keys: Iterable[str] | None = None) -> Path:
    """Download the raw files from their publishers into ``dest`` (needs internet).

    This path is deliberately thin and is not exercised by the tests (there is no
    internet where they run). Files marked ``converted`` in the catalogue are served
    by their publishers in another form; they are fetched as published and the
    readers will report what they cannot read.

    Returns
    -------
    Path
        The folder written to (``data/downloads`` by default).
    """
    dest = Path(dest) if dest is not None else default_data_dir() / "downloads"
    from mapping.store import atomic_path

    for key in keys or CATALOGUE:
        spec = CATALOGUE[key]
        if spec.url is None:
            continue
        target = dest / spec.relpath
        if target.is_file():
            continue
        try:
            with urllib.request.urlopen(spec.url, timeout=120) as response:
                payload = response.read()
        except OSError as exc:
            raise SourceError(f"{spec.relpath}: download from {spec.url} failed ({exc})") from exc
        with atomic_path(target) as tmp:
            tmp.write_bytes(io.BytesIO(payload).getvalue())
    return dest
