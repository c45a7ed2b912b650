"""Row locks of fingerprint_app. Lock order: campaign, then its wallet (wallet_app.locks, taken
inside wallet_app.services.charge_for_play), then its profile — so a chunk commit, a recovery
result and an admin resume never deadlock one another."""
from fingerprint_app.exceptions import CampaignNotFound, ProfileNotFound
from fingerprint_app.models import FingerprintProfile, ProbeCampaign


def lock_campaign(*, campaign_id: int) -> ProbeCampaign:
    """Lock one campaign row for the rest of the current transaction; raises CampaignNotFound."""
    campaign = ProbeCampaign.objects.select_for_update(of=("self",)).filter(pk=campaign_id).first()
    if campaign is None:
        raise CampaignNotFound(details={"campaign_id": campaign_id})
    return campaign


def lock_profile(*, profile_id: int) -> FingerprintProfile:
    """Lock one profile row (after its campaign's, never before); raises ProfileNotFound."""
    profile = FingerprintProfile.objects.select_for_update(of=("self",)).filter(pk=profile_id).first()
    if profile is None:
        raise ProfileNotFound(details={"profile_id": profile_id})
    return profile
