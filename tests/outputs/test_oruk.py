"""Open Referral UK (HSDS 3.0) export and import (mapping.outputs.oruk, mapping.inputs.oruk).

The schemas are read from ``../shared/reference/open-referral`` beside the repository.
"""

from __future__ import annotations

import json
from pathlib import Path
from typing import Any

import pandas as pd
import pytest
from jsonschema import Draft202012Validator
from referencing import Registry, Resource
from referencing.jsonschema import DRAFT202012

from mapping.errors import ServiceMapError
from mapping.inputs.oruk import read_oruk
from mapping.inputs.register import default_register_path, load_register
from mapping.inputs.routes import load_routes
from mapping.outputs.oruk import export_oruk
from mapping.store import repo_root

SCHEMAS = repo_root().parent / "shared" / "reference" / "open-referral"
FOLDERS = {"hsds": SCHEMAS / "hsds-3.0.1", "oruk": SCHEMAS / "oruk-profile-3.0" / "schema"}


def _validator(folder: Path, name: str) -> Draft202012Validator:
    resources = []
    for path in sorted(folder.glob("*.json")):
        contents = json.loads(path.read_text(encoding="utf-8"))
        resources.append(
            (path.name, Resource.from_contents(contents, default_specification=DRAFT202012))
        )
    registry: Registry = Registry().with_resources(resources)
    schema = {"$ref": name}
    checker = Draft202012Validator.FORMAT_CHECKER
    return Draft202012Validator(schema, registry=registry, format_checker=checker)


@pytest.fixture(scope="module")
def exported(tmp_path_factory: pytest.TempPathFactory) -> Path:
    out = tmp_path_factory.mktemp("oruk")
    register = load_register(check_postcodes=False)
    export_oruk(default_register_path(), load_routes(register=register), out)
    return out


def _load(out: Path, name: str) -> list[dict[str, Any]]:
    return json.loads((out / name).read_text(encoding="utf-8"))


@pytest.mark.parametrize("standard", sorted(FOLDERS))
def test_export_validates_against_the_schemas(exported: Path, standard: str) -> None:
    folder = FOLDERS[standard]
    assert folder.is_dir(), f"schemas missing: {folder}"
    for file, schema in (
        ("services.json", "service.json"),
        ("organizations.json", "organization.json"),
        ("locations.json", "location.json"),
    ):
        validator = _validator(folder, schema)
        items = _load(exported, file)
        assert items
        for item in items:
            errors = sorted(validator.iter_errors(item), key=str)
            assert not errors, f"{file} {item.get('name')}: {errors[0].message}"


def test_the_schema_check_can_fail(exported: Path) -> None:
    validator = _validator(FOLDERS["oruk"], "service.json")
    service = _load(exported, "services.json")[0]
    assert not list(validator.iter_errors(service))
    assert list(validator.iter_errors({**service, "status": "open all hours"}))
    assert list(validator.iter_errors({k: v for k, v in service.items() if k != "name"}))


def test_services_carry_the_standard_tables(exported: Path) -> None:
    services = {s["name"]: s for s in _load(exported, "services.json")}
    safe = services["Lancashire SAFE Centre (Sexual Assault Referral Centre)"]
    assert safe["schedules"][0]["description"] == "Mo-Fr 08:00-16:00"
    assert (
        safe["schedules"][0]["byday"] == "MO,TU,WE,TH,FR"
        and safe["schedules"][0]["opens_at"] == "08:00"
    )
    assert [a["name"] for a in safe["service_areas"]] == ["Lancashire"]
    assert "Referral route: self" in {c["name"] for c in safe["contacts"]}
    location = safe["service_at_locations"][0]["location"]
    assert location["addresses"][0]["postal_code"] == "PR2 9HT"
    assert safe["organization"]["name"] == "Lancashire Teaching Hospitals NHS Foundation Trust"
    assert "crime types: sexual_violence" in safe["eligibility_description"]


def test_no_confidential_location_in_the_export(exported: Path) -> None:
    register = load_register(check_postcodes=False)
    secret = register[register["confidential"]]
    assert len(secret) >= 7
    services = {s["name"]: s for s in _load(exported, "services.json")}
    location_names = {loc["name"] for loc in _load(exported, "locations.json")}
    for name in secret["name"]:
        service = services[name]
        assert "service_at_locations" not in service
        assert name not in location_names
        assert service["service_areas"] and service["contacts"]  # area and contact route only
        terms = {a["taxonomy_term"]["term"] for a in service["attributes"]}
        assert not terms & {"lat", "lon", "address", "postcode"}
        text = json.dumps(service)
        assert "latitude" not in text and "postal_code" not in text


def test_export_import_round_trip_gives_back_the_register(exported: Path) -> None:
    result = read_oruk(exported / "services.json")
    assert result.problems == []
    original = pd.read_csv(default_register_path(), dtype=str, keep_default_na=False)
    back = result.register[list(original.columns)]
    pd.testing.assert_frame_equal(back, original)
    assert any("contacts" in d for d in result.dropped)  # the routes are reported, not lost


def test_import_validates_every_row_and_reports_dropped_fields(tmp_path: Path) -> None:
    council = [
        {
            "id": "ac148810-d857-441c-9679-408f346de14b",
            "name": "Drop-in advice",
            "status": "active",
            "email": "help@example.org",
            "organization": {"id": "x", "name": "A council", "description": "d"},
            "service_areas": [{"id": "a", "name": "Narnia"}],
        }
    ]
    path = tmp_path / "council.json"
    path.write_text(json.dumps(council), encoding="utf-8")
    result = read_oruk(path)
    assert "services[0].email" in result.dropped
    fields = {(p.row, p.field) for p in result.problems}
    assert (2, "category") in fields and (2, "areas_served") in fields and (2, "id") in fields
    assert result.register.loc[0, "provider"] == "A council"
    (tmp_path / "bad.json").write_text('{"contents": 3}', encoding="utf-8")
    with pytest.raises(ServiceMapError, match="expected a JSON list of HSDS services"):
        read_oruk(tmp_path / "bad.json")


def test_cli_export_import(run_cli: Any, tmp_path: Path) -> None:
    code, out, _ = run_cli(["services", "export", "--format", "oruk", "--out", str(tmp_path / "x")])
    assert code == 0 and "services.json" in out
    back = tmp_path / "back.csv"
    code, out, _ = run_cli(
        [
            "services",
            "import",
            "--format",
            "oruk",
            str(tmp_path / "x" / "services.json"),
            "--out",
            str(back),
        ]
    )
    assert code == 0 and "service(s)" in out and "field(s) dropped" in out
    assert back.read_bytes() == default_register_path().read_bytes()
    code, _, err = run_cli(["services", "export", "--format", "csv", "--out", str(tmp_path / "y")])
    assert code == 1 and "unknown --format 'csv'" in err
