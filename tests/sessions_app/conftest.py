
import pytest

from games_app.services import game_load

TEST_GAME = {
    "slug": "test-fruit",
    "name": "Test Fruit",
    "reels": [
        ["A", "B", "C", "W", "A", "B", "S", "C"],
        ["B", "A", "W", "C", "A", "S", "B", "C"],
        ["C", "A", "B", "A", "W", "C", "S", "B"],
    ],
    "rows": 3,
    "paylines": [[1, 1, 1], [0, 0, 0], [2, 2, 2], [0, 1, 2], [2, 1, 0]],
    "paytable": {"A": {"3": 10}, "B": {"3": 5}, "C": {"3": 3}, "W": {"3": 20}},
    "wild": "W",
    "scatter": "S",
    "scatter_pays": {"2": 1, "3": 5},
    "min_bet": "0.1",
    "max_bet": "10",
}


@pytest.fixture
def game_version(db):
    version, _ = game_load(data=TEST_GAME)
    return version


@pytest.fixture
def funded_wallet(make_wallet):
    def _wallet(owner, amount: str = "100", **kwargs):
        return make_wallet(owner=owner, balance=amount, **kwargs)

    return _wallet


@pytest.fixture
def new_session(game_version, funded_wallet):
    """new_session(client, amount="100", **create_fields) -> session id (idle)."""

    def _create(client, amount: str = "100", wallet_kwargs=None, **fields):
        wallet = funded_wallet(client.token.owner, amount, **(wallet_kwargs or {}))
        response = client.post("/api/v1/sessions", {"game": game_version.game.slug, "wallet": wallet.pk, **fields},
                               format="json")
        assert response.status_code == 201, response.content
        client.wallet = wallet
        return response.json()["id"]

    return _create


def act(client, session_id: int, version: str = "v1", **action):
    return client.post(f"/api/{version}/sessions/{session_id}/action", action, format="json")


def playing_session(client, new_session, bet: str = "1", **fields) -> int:
    session_id = new_session(client, **fields)
    assert act(client, session_id, type="initialize").status_code == 200
    assert act(client, session_id, type="place_bet", amount=bet).status_code == 200
    return session_id
