
import pytest

from games_app.engine import load_demo_games
from games_app.services import game_load


@pytest.fixture(scope="session")
def demo_definitions():
    return load_demo_games()


@pytest.fixture
def load_definition(db):
    """load_definition(GameDefinition) -> GameVersion (stored with its PAR sheet)."""

    def _load(definition):
        version, _ = game_load(data=definition.to_dict())
        return version

    return _load


@pytest.fixture
def fruit_version(load_definition, demo_definitions):
    return load_definition(demo_definitions["fruit-low"])


@pytest.fixture
def without_recovery(settings):
    """Issue-7 tests measure the statistical pipeline: switch the recovery hook off (it is tested
    with fakes in test_services.py and end to end in test_recovery_hook_with_the_real_module)."""
    settings.FINGERPRINT_RECOVERY = False


@pytest.fixture
def with_recovery(without_recovery, settings):
    """The real hook, in a module whose tests switch it off by default (runs after that switch)."""
    settings.FINGERPRINT_RECOVERY = True
