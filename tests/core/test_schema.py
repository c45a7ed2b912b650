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


def test_the_batch_actions_path_is_only_in_the_v2_schema():
    import json

    paths = {version: json.loads(Client().get(f"/api/{version}/schema/", HTTP_ACCEPT="application/vnd.oai.openapi+json")
                                 .content)["paths"] for version in ("v1", "v2")}
    assert "/api/v2/sessions/{session_id}/actions" in paths["v2"]
    assert "/api/v1/sessions/{session_id}/actions" not in paths["v1"]  # v1 answers it 404
    assert "/api/v1/sessions/{session_id}/action" in paths["v1"]


@pytest.mark.parametrize("path", ["/api/docs/", "/api/redoc/"])
def test_docs_pages_load_only_assets_served_from_the_project(path):
    """Swagger UI and Redoc work offline: every script and stylesheet is a pinned local static file."""
    import re

    from django.contrib.staticfiles import finders

    response = Client().get(path)
    assert response.status_code == 200
    html = response.content.decode()
    assets = re.findall(r'(?:src|href)="([^"]+\.(?:js|css))"', html)
    assert assets, html
    for asset in assets:
        assert asset.startswith("/static/drf_spectacular_sidecar/"), asset  # no CDN
        assert finders.find(asset.removeprefix("/static/")), asset


def test_root_is_a_landing_page_linking_the_entry_points():
    response = Client().get("/")
    assert response.status_code == 200 and response["Content-Type"].startswith("text/html")
    html = response.content.decode()
    for link in ("/api/docs/", "/api/redoc/", "/admin/", "/admin/console/", "/health"):
        assert f'href="{link}"' in html


@pytest.mark.parametrize("version", ["v1", "v2"])
def test_schema_generation_has_no_warnings(version, tmp_path):
    from django.core.management import call_command

    call_command("spectacular", "--api-version", version, "--validate", "--fail-on-warn", "--file", str(tmp_path / "s.yaml"))
    assert (tmp_path / "s.yaml").stat().st_size > 1000
