"""HTTP ↔ the console's staff actions on the API: force-closing a session (operators and admins)."""
from drf_spectacular.utils import extend_schema
from rest_framework import serializers
from rest_framework.response import Response
from rest_framework.views import APIView

from core import policy
from core.idempotency import idempotent
from operator_console.services import session_force_close_by
from sessions_app.serializers import SessionOutputSerializer, session_data
from sessions_app.selectors import session_get, session_recent_transitions
from sessions_app.services import FORCE_CLOSE_REASON_MAX


class SessionForceCloseApi(APIView):
    class InputSerializer(serializers.Serializer):
        reason = serializers.CharField(required=False, allow_blank=True, default="", max_length=FORCE_CLOSE_REASON_MAX)

    @extend_schema(request=InputSerializer, responses=SessionOutputSerializer, tags=["sessions"],
                   summary="Force-close a session (operator or admin; audited, moves no money)",
                   description="Completes an open session from any state and reveals its seed. Every spin and probe "
                               "already settled with the wallet, so nothing is refunded or paid. Recorded in the "
                               "admin action log. Agents: 403 FORBIDDEN; a completed session: 409.")
    @idempotent
    def post(self, request, version, session_id: int):
        data = self.InputSerializer(data=request.data)
        data.is_valid(raise_exception=True)
        actor = policy.actor_of_request(request)
        session_force_close_by(session_id=session_id, actor=actor, reason=data.validated_data["reason"], via="api")
        session = session_get(session_id=session_id, actor=actor)
        return Response(SessionOutputSerializer(session_data(session, session_recent_transitions(session=session))).data)
