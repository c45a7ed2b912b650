import pytest
from django.urls import reverse

from fingerprint_app import services
from fingerprint_app.models import CampaignStatus, FingerprintProfile, ProbeCampaign

pytestmark = [pytest.mark.django_db, pytest.mark.usefixtures("without_recovery")]


@pytest.fixture
def staff_client(client, django_user_model):
    user = django_user_model.objects.create_superuser("fp-admin", "fp@example.invalid", "pw")
    client.force_login(user)
    return client


def test_profile_page_shows_charts_and_exact_par(staff_client, fruit_version):
    campaign = services.campaign_create(game_version=fruit_version, target_spins=4000, seed="adm", chunk_size=1000,
                                        enqueue=False)
    services.campaign_run(campaign_id=campaign.pk)
    page = staff_client.get(reverse("admin:fingerprint_app_fingerprintprofile_change", args=[campaign.profile_id]))
    assert page.status_code == 200
    html = page.content.decode()
    assert html.count("<figure") == 3 and html.count('role="img"') == 3
    assert "RTP estimate converging" in html and "exact PAR RTP" in html and str(fruit_version.rtp) in html
    listing = staff_client.get(reverse("admin:fingerprint_app_fingerprintprofile_changelist"))
    assert listing.status_code == 200 and "fruit-low v1" in listing.content.decode()


def test_campaign_pages_and_add_form(staff_client, fruit_version, django_capture_on_commit_callbacks):
    add_url = reverse("admin:fingerprint_app_probecampaign_add")
    assert staff_client.get(add_url).status_code == 200
    with django_capture_on_commit_callbacks(execute=True):
        response = staff_client.post(add_url, {"game_version": fruit_version.pk, "remote_url": "",
                                               "target_spins": 2000, "chunk_size": 500, "seed": "from-admin"})
    assert response.status_code == 302, response.content.decode()[:2000]
    campaign = ProbeCampaign.objects.get(seed="from-admin")
    assert campaign.status == CampaignStatus.COMPLETED and campaign.chunks_done == 4
    page = staff_client.get(reverse("admin:fingerprint_app_probecampaign_change", args=[campaign.pk]))
    assert page.status_code == 200 and "<polygon points=" in page.content.decode()   # the 95% band
    both = staff_client.post(add_url, {"game_version": fruit_version.pk, "remote_url": "https://x.invalid/spin",
                                       "target_spins": 10})
    assert both.status_code == 200 and "exactly one engine" in both.content.decode()
    assert staff_client.get(reverse("admin:fingerprint_app_probecampaign_changelist")).status_code == 200


def test_recovered_definition_download(staff_client, fruit_version):
    campaign = services.campaign_create(game_version=fruit_version, target_spins=10, seed="d", enqueue=False)
    url = reverse("admin:fingerprint_app_fingerprintprofile_definition", args=[campaign.profile_id])
    assert staff_client.get(url).status_code == 404
    FingerprintProfile.objects.filter(pk=campaign.profile_id).update(recovered_definition={"slug": "r"})
    response = staff_client.get(url)
    assert response.status_code == 200 and response.json() == {"slug": "r"}
    assert "attachment" in response["Content-Disposition"]


def test_campaign_and_profile_pages_show_spins_until_exact_split(staff_client, fruit_version):
    campaign = services.campaign_create(game_version=fruit_version, target_spins=1000, seed="split", chunk_size=1000,
                                        enqueue=False)
    profile_page = reverse("admin:fingerprint_app_fingerprintprofile_change", args=[campaign.profile_id])
    campaign_page = reverse("admin:fingerprint_app_probecampaign_change", args=[campaign.pk])
    assert "5,000 uniform" not in staff_client.get(profile_page).content.decode()
    FingerprintProfile.objects.filter(pk=campaign.profile_id).update(
        exact=True, spins_until_exact=5_061, targeted_spins_until_exact=61)
    for url in (profile_page, campaign_page):
        html = staff_client.get(url).content.decode()
        assert "5,061 (5,000 uniform + 61 targeted)" in html


def test_campaign_pages_say_exact_when_the_profile_is_exact(staff_client, fruit_version):
    campaign = services.campaign_create(game_version=fruit_version, target_spins=1000, seed="ex", chunk_size=1000,
                                        stop_when_exact=False, enqueue=False)
    services.campaign_run(campaign_id=campaign.pk)
    detail = reverse("admin:fingerprint_app_probecampaign_change", args=[campaign.pk])
    listing = reverse("admin:fingerprint_app_probecampaign_changelist")
    assert "· exact" not in staff_client.get(detail).content.decode()
    FingerprintProfile.objects.filter(pk=campaign.profile_id).update(
        exact=True, recovery_status="exact", spins_until_exact=1000, targeted_spins_until_exact=0)
    for url in (detail, listing):
        html = staff_client.get(url).content.decode()
        assert "Completed · exact" in html and "exact, after 1,000 (1,000 uniform + 0 targeted) spins" in html
    profile = staff_client.get(reverse("admin:fingerprint_app_fingerprintprofile_change", args=[campaign.profile_id]))
    assert "exact, after 1,000" in profile.content.decode()


def test_profile_page_costs_a_fixed_number_of_queries_however_big_the_profile(
        staff_client, fruit_version, django_assert_max_num_queries):
    """The page once took 18-37 s (matplotlib); the charts are plain SVG now. Speed itself is
    measured in bench/, this pins the work: the same few queries for 2 or 40 chunks."""
    pages = []
    for seed, spins in (("small", 2000), ("big", 40_000)):
        campaign = services.campaign_create(game_version=fruit_version, target_spins=spins, seed=seed,
                                            chunk_size=1000, enqueue=False, extend_profile=False)
        services.campaign_run(campaign_id=campaign.pk)
        url = reverse("admin:fingerprint_app_fingerprintprofile_change", args=[campaign.profile_id])
        with django_assert_max_num_queries(10) as captured:
            response = staff_client.get(url)
        assert response.status_code == 200
        pages.append((len(captured), response.content.decode()))
    assert pages[0][0] == pages[1][0]
    assert pages[1][1].count("<circle") > pages[0][1].count("<circle") > 1   # one point per chunk (thinned)
