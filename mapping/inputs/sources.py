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
from typing import Any

import geopandas as gpd
import pandas as pd

from mapping.caching import Cache
from mapping.errors import ServiceMapError
from mapping.inputs.catalogue import CATALOGUE, LANCASHIRE_LAD_CODES, POLICE_MONTHS, SourceFile
from mapping.store import default_data_dir, repo_root, sha256_file

__all__ = [
    "LANCASHIRE_LAD_CODES",
    "MID2024_BANDS",
    "POLICE_MONTHS",
    "SOURCES_ENV",
    "SourceError",
    "SourceFile",
    "Sources",
    "download_sources",
    "locate_sources",
]

#: SHA-256 of raw source files read in this process, by (path, size, modification time,
#: inode): a load locates the sources more than once (register check, land, network
#: freshness) and the Code-Point zip alone is 14 MB. A changed file has a new key.
_CHECKSUMS: Cache[tuple[str, int, int, int], str] = Cache(maxsize=64)


def _file_checksum(path: Path) -> str:
    stat = path.stat()
    key = (str(path.resolve()), stat.st_size, stat.st_mtime_ns, stat.st_ino)
    return _CHECKSUMS.get(key, lambda: sha256_file(path))


SOURCES_ENV = "SERVICE_MAP_SOURCES"


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
            self.path(key)  # raises the missing-file error
            raise SourceError(f"{path}: missing")  # unreachable: path() raised
        actual = _file_checksum(path)
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
            table = pd.read_csv(
                path,
                dtype={"lsoa21_code": "string", "lsoa21_name": "string", "age_group": "string"},
            )
        except (ValueError, OSError) as exc:
            raise SourceError(f"{path}: unreadable census table ({exc})") from exc
        _require_columns(table, path, ["lsoa21_code", "age_group", "usual_residents"])
        return table

    def read_iod2025(self) -> pd.DataFrame:
        """Read IoD 2025 scores, ranks and deciles by LSOA 2021 (IMD and seven domains).

        Returns
        -------
        pandas.DataFrame
            ``lsoa21_code`` and ``<Domain>_score``, ``<Domain>_rank``, ``<Domain>_decile``
            as published (``IMD``, ``Income``, ..., ``Crime``, ...); ranks and deciles as
            integers (rank 1 and decile 1 = most deprived).
        """
        path = self.path("iod2025")
        table = self._read_csv(path, "deprivation table", dtype={"lsoa21_code": "string"})
        _require_columns(table, path, ["lsoa21_code", *_IOD_COLUMNS])
        for column in _IOD_COLUMNS:
            if not column.endswith("_score"):
                table[column] = _whole_numbers(table[column], path, column)
        return table

    def read_population_mid2024(self) -> pd.DataFrame:
        """Read ONS mid-2024 population by LSOA 2021, sex and broad age band.

        Returns
        -------
        pandas.DataFrame
            ``lsoa21_code``, ``total`` and one column per band as published (``F0-15``,
            ``F16-29``, ..., ``M65+``). The published header spells the code column
            ``"LSOA21CD "`` with a trailing space; it is renamed here.
        """
        path = self.path("population_mid2024")
        table = self._read_csv(path, "population table")
        table.columns = [str(c).strip() for c in table.columns]
        _require_columns(table, path, ["LSOA21CD", "Total", *MID2024_BANDS])
        table = table.rename(columns={"LSOA21CD": "lsoa21_code", "Total": "total"})
        table["lsoa21_code"] = table["lsoa21_code"].astype("string").str.strip()
        for column in ["total", *MID2024_BANDS]:
            table[column] = _whole_numbers(table[column], path, column)
        return table

    def read_police_street(self) -> pd.DataFrame:
        """Read the police.uk street-level crime files of :data:`POLICE_MONTHS`, stacked.

        Returns
        -------
        pandas.DataFrame
            ``crime_id``, ``month``, ``lsoa21_code`` (missing where the crime has no
            location), ``crime_type`` and ``source_file``, one row per crime record.
        """
        frames = []
        for month in POLICE_MONTHS:
            path = self.path(f"police/{month}")
            table = self._read_csv(path, "police.uk street-level crime file", dtype="string")
            _require_columns(table, path, ["Crime ID", "Month", "LSOA code", "Crime type"])
            frames.append(
                pd.DataFrame(
                    {
                        "crime_id": table["Crime ID"],
                        "month": table["Month"],
                        "lsoa21_code": table["LSOA code"].str.strip(),
                        "crime_type": table["Crime type"].str.strip(),
                        "source_file": CATALOGUE[f"police/{month}"].relpath,
                    }
                )
            )
        return pd.concat(frames, ignore_index=True)

    def read_csp_lookup(self) -> pd.DataFrame:
        """Read the council area -> Community Safety Partnership -> police force lookup.

        Returns
        -------
        pandas.DataFrame
            ``lad_code``, ``lad_name``, ``csp_code``, ``csp_name``, ``pfa_code``,
            ``pfa_name`` (2024 codes), one row per council area in England and Wales.
        """
        path = self.path("csp_lookup")
        table = self._read_csv(path, "CSP lookup", dtype="string")
        columns = {
            "ltla24_code": "lad_code",
            "ltla24_name": "lad_name",
            "csp24_code": "csp_code",
            "csp24_name": "csp_name",
            "pfa24_code": "pfa_code",
            "pfa24_name": "pfa_name",
        }
        _require_columns(table, path, list(columns))
        return table.rename(columns=columns)[list(columns.values())]

    def _read_csv(self, path: Path, what: str, **kwargs: Any) -> pd.DataFrame:
        try:
            return pd.read_csv(path, **kwargs)
        except (ValueError, OSError, UnicodeDecodeError) as exc:
            raise SourceError(f"{path}: unreadable {what} ({exc})") from exc

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


#: IoD 2025 columns the need layer reads.
_IOD_COLUMNS: tuple[str, ...] = (
    "IMD_score",
    "IMD_rank",
    "IMD_decile",
    "Crime_score",
    "Crime_rank",
    "Crime_decile",
)
#: Mid-2024 population bands as published (F = female, M = male).
MID2024_BANDS: tuple[str, ...] = tuple(
    f"{sex}{band}" for sex in "FM" for band in ("0-15", "16-29", "30-44", "45-64", "65+")
)


def _require_columns(table: pd.DataFrame, path: Path, columns: Iterable[str]) -> None:
    missing = [c for c in columns if c not in table.columns]
    if missing:
        raise SourceError(
            f"{path}: missing column(s) {', '.join(missing)}; the file is not the published "
            "layout (see the sources README)"
        )


def _whole_numbers(column: pd.Series, path: Path, name: str) -> pd.Series:
    """A count or rank column as nullable integers; anything else names the row."""
    numbers = pd.to_numeric(column, errors="coerce")
    bad = numbers.isna() & column.notna() | (numbers.notna() & (numbers % 1 != 0))
    if bad.any():
        row = int(bad.to_numpy().nonzero()[0][0])
        raise SourceError(f"{path}:{row + 2}:{name}: {column.iloc[row]!r} is not a whole number")
    return numbers.astype("Int64")


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
