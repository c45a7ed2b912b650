"""The pages scripts/screenshots.py photographs render with real data and no error text: the
dashboard, a campaign page, a profile page, Swagger UI (its HTML and the schema it loads) and the
admin index. Plain HTML through the test client, so it runs in CI without a browser."""
import re

import pytest
from django.urls import reverse

from fingerprint_app import services as fingerprint_services
from games_app.models import GameVersion

pytestmark = pytest.mark.django_db

ERROR_TEXT = re.compile(r"Traceback|Server Error|TemplateSyntaxError|VariableDoesNotExist|Page not found|"
                        r"\bNone\b(?! available)|\bnan\b|\binf\b|000000000000", re.IGNORECASE)


def _visible_text(html: str) -> str:
    html = re.sub(r"<(script|style|svg)\b.*?</\1>", " ", html, flags=re.DOTALL | re.IGNORECASE)
    html = re.sub(r'<input type="hidden"[^>]*>', " ", html)
    return re.sub(r"\s+", " ", re.sub(r"<[^>]+>", " ", html))


def _page(client, url: str) -> tuple[str, str]:
    response = client.get(url)
    assert response.status_code == 200, url
    html = response.content.decode()
    text = _visible_text(html)
    found = ERROR_TEXT.search(text)
    assert found is None, f"{url}: {found.group(0)!r} in …{text[max(found.start() - 80, 0):found.end() + 80]}…"
    return html, text


@pytest.fixture
def campaign(world, settings):
    settings.FINGERPRINT_RECOVERY = False
    version = GameVersion.objects.get(game__slug="test-fruit")
    campaign = fingerprint_services.campaign_create(game_version=version, target_spins=3000, chunk_size=1000,
                                                    seed="render", enqueue=False)
    fingerprint_services.campaign_run(campaign_id=campaign.pk)
    campaign.refresh_from_db()
    return campaign


def test_dashboard_renders_with_data(root_client, campaign):
    html, text = _page(root_client, reverse("operator-dashboard"))
    assert "Agent Royale operations" in text and "Operator dashboard" in text
    assert "test-fruit" in text and "coinflip" in text and "6 rounds" in html   # the world's plays
    assert html.count("<rect") > 6                                                # bars, not an empty chart
    assert "low sample" in text and "%" in text


def test_campaign_and_profile_pages_render_with_data(root_client, campaign):
    html, text = _page(root_client, reverse("admin:fingerprint_app_probecampaign_change", args=[campaign.pk]))
    assert campaign.status == "completed", campaign.status
    assert "Completed" in text, text[:3000]
    assert "3,000" in text and "<polygon" in html            # the 95% band
    html, text = _page(root_client, reverse("admin:fingerprint_app_fingerprintprofile_change",
                                            args=[campaign.profile_id]))
    assert html.count("<figure") == 3 and "RTP estimate" in text and "exact PAR RTP" in text
    assert html.count("<circle") == 3 and "Payout distribution (3,000 spins)" in html


def test_admin_index_renders_every_app(root_client, campaign):
    html, text = _page(root_client, reverse("admin:index"))
    assert "Operator console" in text and "Dashboard" in text
    for app in ("Wallets", "Slot games", "A2A casino", "Gameplay sessions", "Fingerprinting", "API access and audit trail",
                "RL traces and webhooks"):
        assert app in text
    assert "Webhook deliveries" in text and "deliverys" not in text


def test_swagger_ui_page_and_its_schema(client):
    response = client.get(reverse("api-docs"))
    assert response.status_code == 200
    html = response.content.decode()
    assert "swagger-ui" in html and reverse("schema-v1") in html
    schema = client.get(reverse("schema-v1"), HTTP_ACCEPT="application/vnd.oai.openapi+json")
    assert schema.status_code == 200
    paths = schema.json()["paths"] if schema["Content-Type"].endswith("json") else None
    assert paths is None or "/api/v1/fingerprints/campaigns" in paths
