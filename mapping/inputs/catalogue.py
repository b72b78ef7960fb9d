"""The catalogue of raw public sources: where each file is, who publishes it, its licence."""

from __future__ import annotations

from dataclasses import dataclass

from mapping.inputs.area import study_area

#: The council areas of the study area (``study_area.toml``): for Lancashire, the 14 of
#: the police force area.
LANCASHIRE_LAD_CODES: tuple[str, ...] = study_area().district_codes


#: Months of police.uk street-level crime in the mirror (January to April 2024).
POLICE_MONTHS: tuple[str, ...] = ("2024-01", "2024-02", "2024-03", "2024-04")


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
    *(
        SourceFile(
            key=key,
            relpath=f"dft-major-roads/2018-MRDB-minimal.{ext}",
            title="DfT Major Road Database 2018, minimal geometry (motorway and 'A'-road links)",
            publisher="Department for Transport",
            url=None,  # published as a zip on DfT's road traffic statistics site
        )
        for key, ext in (("mrdb", "shp"), ("mrdb_shx", "shx"), ("mrdb_prj", "prj"))
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
    SourceFile(
        key="iod2025",
        relpath="iod-2025/imd2025_england_lsoa21_scores.csv",
        title="English Indices of Deprivation 2025: IMD and domain scores, ranks and deciles "
        "by LSOA 2021 (File 7)",
        publisher="Ministry of Housing, Communities and Local Government",
        url="https://www.gov.uk/government/statistics/english-indices-of-deprivation-2025",
        converted=True,
    ),
    SourceFile(
        key="population_mid2024",
        relpath="ons-population/lsoa21_mid2024_population_by_sex_broad_age.csv",
        title="Mid-2024 population estimates by LSOA 2021, sex and broad age",
        publisher="Office for National Statistics",
        url="https://www.ons.gov.uk/peoplepopulationandcommunity/populationandmigration/"
        "populationestimates/datasets/lowersuperoutputareamidyearpopulationestimates",
        converted=True,
    ),
    *[
        SourceFile(
            key=f"police/{month}",
            relpath=f"police-uk/{month}-lancashire-street.csv",
            title=f"Police-recorded street-level crime, Lancashire Constabulary, {month}",
            publisher="data.police.uk (Home Office)",
            url="https://data.police.uk/data/",
        )
        for month in POLICE_MONTHS
    ],
    SourceFile(
        key="cars_ts045",
        relpath="census-2021/census2021-ts045-lsoa.csv",
        title="Census 2021 TS045: car or van availability of households by LSOA 2021",
        publisher="Office for National Statistics",
        # Unchanged, but served inside the bulk zip census2021-ts045.zip.
        url="https://www.nomisweb.co.uk/sources/census_2021_bulk",
        converted=True,
    ),
    SourceFile(
        key="ruc21",
        relpath="ons-rural-urban/ruc21_lsoa21_ew.csv",
        title="Rural Urban Classification 2021 of LSOAs 2021 (England and Wales)",
        publisher="Office for National Statistics",
        url="https://geoportal.statistics.gov.uk/",
        converted=True,
    ),
    SourceFile(
        key="csp_lookup",
        relpath="ons-lookups/lad24_csp24_pfa24_ew_lu.csv",
        title="Local authority district to Community Safety Partnership to Police Force Area "
        "(2024) lookup",
        publisher="Office for National Statistics",
        url="https://geoportal.statistics.gov.uk/",
        converted=True,
    ),
]


CATALOGUE: dict[str, SourceFile] = {f.key: f for f in _CATALOGUE}
