from core.urls import api_path
from operator_console.apis import SessionForceCloseApi

urlpatterns = [
    api_path(r"sessions/(?P<session_id>[0-9]{1,18})/force_close", SessionForceCloseApi.as_view(),
             "session-force-close"),
]
