from core.apis import MeApi, TokenCreateApi, TokenRevokeApi
from core.urls import api_path

urlpatterns = [
    api_path("me", MeApi.as_view(), "me"),
    api_path("tokens", TokenCreateApi.as_view(), "token-create"),
    api_path(r"tokens/(?P<prefix>[0-9a-f]{1,16})/revoke", TokenRevokeApi.as_view(), "token-revoke"),
]
