
import pytest



@pytest.fixture
def agent_wallet(agent_client, make_wallet):
    """A 100-unit wallet owned by `agent_client`'s user."""
    return make_wallet(owner=agent_client.token.owner, balance="100")
