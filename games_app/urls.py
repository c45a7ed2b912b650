from core.urls import api_path
from games_app.apis import GameDetailApi, GameListApi

urlpatterns = [
    api_path("games", GameListApi.as_view(), "game-list"),
    api_path(r"games/(?P<slug>[a-z0-9-]{1,64})", GameDetailApi.as_view(), "game-detail"),
]
