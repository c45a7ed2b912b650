"""Fingerprinting errors. Codes are part of the public API contract."""
from core.exceptions import Conflict, NotFound, ValidationFailed


class CampaignNotFound(NotFound):
    default_message = "Probe campaign not found."


class ProfileNotFound(NotFound):
    default_message = "Fingerprint profile not found."


class SampleNotFound(NotFound):
    default_message = "Session not found."


class InvalidCampaign(ValidationFailed):
    default_message = "The campaign request is invalid."


class CampaignStateConflict(Conflict):
    code = "CAMPAIGN_STATE_CONFLICT"
    default_message = "The campaign is not in a state that allows this."


class EmptySample(Conflict):
    code = "EMPTY_SAMPLE"
    default_message = "The sample has no spins to match yet."
