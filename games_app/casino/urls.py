from django.urls import re_path

from core.urls import api_path
from games_app.casino import apis

urlpatterns = [
    api_path("api/a2a/casino", apis.a2a_casino, "a2a-casino"),
    api_path("api/casino/stats", apis.casino_stats, "casino-stats"),
    api_path("api/casino/games", apis.casino_games, "casino-games"),
    api_path("a2a/jsonrpc", apis.a2a_jsonrpc, "a2a-jsonrpc"),
    re_path(r"^\.well-known/agent-card\.json$", apis.agent_card, name="a2a-agent-card"),
    # The A2A 0.2 location, still probed by older clients.
    re_path(r"^\.well-known/agent\.json$", apis.agent_card, name="a2a-agent-card-legacy"),
]
