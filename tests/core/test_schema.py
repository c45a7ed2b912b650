import pytest
from django.test import Client
from openapi_spec_validator import validate

pytestmark = pytest.mark.django_db


@pytest.mark.parametrize("version", ["v1", "v2"])
def test_schema_validates_and_declares_auth_errors_and_idempotency(version):
    response = Client().get(f"/api/{version}/schema/", HTTP_ACCEPT="application/vnd.oai.openapi+json")
    assert response.status_code == 200
    import json
    schema = json.loads(response.content)
    validate(schema)
    assert schema["components"]["securitySchemes"]["bearerAuth"]["scheme"] == "bearer"
    assert {"Error", "Problem"} <= set(schema["components"]["schemas"])
    post = schema["paths"][f"/api/{version}/tokens"]["post"]
    assert any(p["name"] == "Idempotency-Key" and p["in"] == "header" for p in post["parameters"])
    assert "429" in post["responses"] and "401" in post["responses"]
    expected = "#/components/schemas/Problem" if version == "v2" else "#/components/schemas/Error"
    content = next(iter(post["responses"]["422"]["content"].values()))
    assert content["schema"]["$ref"] == expected


def test_docs_page_renders():
    assert Client().get("/api/docs/").status_code == 200


@pytest.mark.parametrize("version", ["v1", "v2"])
def test_schema_generation_has_no_warnings(version, tmp_path):
    from django.core.management import call_command

    call_command("spectacular", "--api-version", version, "--validate", "--fail-on-warn", "--file", str(tmp_path / "s.yaml"))
    assert (tmp_path / "s.yaml").stat().st_size > 1000
