from core.urls import api_path
from fingerprint_app.apis import (CampaignDetailApi, CampaignListCreateApi, CampaignResumeApi, MatchApi,
                                  ProfileDetailApi, ProfileListApi)

CAMPAIGN_ID = r"(?P<campaign_id>[0-9]{1,18})"
PROFILE_ID = r"(?P<profile_id>[0-9]{1,18})"

urlpatterns = [
    api_path("fingerprints/campaigns", CampaignListCreateApi.as_view(), "fingerprint-campaigns"),
    api_path(rf"fingerprints/campaigns/{CAMPAIGN_ID}", CampaignDetailApi.as_view(), "fingerprint-campaign-detail"),
    api_path(rf"fingerprints/campaigns/{CAMPAIGN_ID}/resume", CampaignResumeApi.as_view(),
             "fingerprint-campaign-resume"),
    api_path("fingerprints/profiles", ProfileListApi.as_view(), "fingerprint-profiles"),
    api_path(rf"fingerprints/profiles/{PROFILE_ID}", ProfileDetailApi.as_view(), "fingerprint-profile-detail"),
    api_path("fingerprints/match", MatchApi.as_view(), "fingerprint-match"),
]
