from core.urls import api_path
from sessions_app.apis import SessionActionApi, SessionBatchActionApi, SessionDetailApi, SessionListCreateApi

urlpatterns = [
    api_path("sessions", SessionListCreateApi.as_view(), "session-list"),
    api_path(r"sessions/(?P<session_id>[0-9]{1,18})", SessionDetailApi.as_view(), "session-detail"),
    api_path(r"sessions/(?P<session_id>[0-9]{1,18})/action", SessionActionApi.as_view(), "session-action"),
    api_path(r"sessions/(?P<session_id>[0-9]{1,18})/actions", SessionBatchActionApi.as_view(), "session-actions"),
]
