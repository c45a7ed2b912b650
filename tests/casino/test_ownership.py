"""Auth and ownership: anonymous and token-owned channels never see each other."""
import pytest
from django.test import Client

from core.services import token_revoke
from games_app.casino.models import CasinoChannel
from tests.casino.conftest import A2A, ADDRESS

pytestmark = pytest.mark.django_db


@pytest.fixture
def owner_a2a(make_token, monkeypatch):
    """A token caller whose channels are play-money here (funding is tested in test_funding)."""
    from games_app.casino import services

    monkeypatch.setattr(services, "_fund_channel", lambda **kwargs: None)
    token, raw = make_token("agent")
    client = A2A(Client(), token=raw)
    client.api_token = token
    return client


def test_anonymous_channel_is_not_found_for_a_token_owner(a2a, owner_a2a):
    a2a.open()
    owner_a2a.error("channel_status", "CHANNEL_NOT_FOUND", 404, stealthAddress=ADDRESS)
    owner_a2a.error("slots_commit", "CHANNEL_NOT_FOUND", 404, stealthAddress=ADDRESS, betAmount="0.001")
    owner_a2a.error("close_channel", "CHANNEL_NOT_FOUND", 404, stealthAddress=ADDRESS)
    assert CasinoChannel.objects.get().status == "open"


def test_owned_channel_is_not_found_anonymously_or_for_another_owner(a2a, owner_a2a, make_token):
    owner_a2a.open()
    a2a.error("channel_status", "CHANNEL_NOT_FOUND", 404, stealthAddress=ADDRESS)
    a2a.error("lotto_buy", "CHANNEL_NOT_FOUND", 404, stealthAddress=ADDRESS, pickedNumber=1)
    a2a.error("close_channel", "CHANNEL_NOT_FOUND", 404, stealthAddress=ADDRESS)
    _, raw = make_token("agent")
    stranger = A2A(Client(), token=raw)
    stranger.error("coinflip_commit", "CHANNEL_NOT_FOUND", 404, stealthAddress=ADDRESS, betAmount="0.001",
                   choice="heads")
    row = CasinoChannel.objects.get()
    assert row.status == "open" and row.nonce == 0 and row.owner == owner_a2a.api_token.owner


def test_owner_and_anonymous_may_each_hold_a_channel_for_one_address(a2a, owner_a2a):
    owner_a2a.open()
    a2a.open()
    assert CasinoChannel.objects.filter(status="open").count() == 2


@pytest.mark.parametrize("header", ["Bearer nope", "Bearer ar_x_y", "Basic abc", "Bearer "])
def test_invalid_token_is_401_in_the_a2a_format(db, header):
    client = A2A(Client())
    status, reply = client("info", headers={"Authorization": header})
    assert status == 401 and reply["error"] is True and reply["code"] == "UNAUTHORIZED"


def test_revoked_token_is_401(owner_a2a):
    token_revoke(token=owner_a2a.api_token)
    owner_a2a.error("info", "UNAUTHORIZED", 401)


def test_anonymous_calls_are_refused_when_disabled(a2a, owner_a2a, settings):
    settings.A2A_ALLOW_ANONYMOUS = False
    a2a.error("info", "AUTHENTICATION_REQUIRED", 401)
    owner_a2a.ok("info")
