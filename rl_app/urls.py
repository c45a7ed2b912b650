from core.urls import api_path
from rl_app.apis import (EpisodeListApi, FeedbackApi, HookDeliveryListApi, HookDetailApi, HookListCreateApi,
                         HookSecretRotateApi, SessionTraceApi)

HOOK_ID = r"(?P<hook_id>[0-9]{1,18})"

urlpatterns = [
    api_path(r"sessions/(?P<session_id>[0-9]{1,18})/trace", SessionTraceApi.as_view(), "session-trace"),
    api_path("rl/episodes", EpisodeListApi.as_view(), "rl-episodes"),
    api_path("rl/feedback", FeedbackApi.as_view(), "rl-feedback"),
    api_path("rl/hooks", HookListCreateApi.as_view(), "rl-hooks"),
    api_path(rf"rl/hooks/{HOOK_ID}", HookDetailApi.as_view(), "rl-hook-detail"),
    api_path(rf"rl/hooks/{HOOK_ID}/deliveries", HookDeliveryListApi.as_view(), "rl-hook-deliveries"),
    api_path(rf"rl/hooks/{HOOK_ID}/rotate-secret", HookSecretRotateApi.as_view(), "rl-hook-rotate-secret"),
]
