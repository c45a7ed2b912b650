import time

from django.conf import settings
from drf_spectacular.utils import OpenApiParameter, extend_schema
from rest_framework import serializers, status
from rest_framework.response import Response
from rest_framework.views import APIView

from core import policy
from core.exceptions import NotFound
from core.idempotency import idempotent
from core.money import parse_amount
from core.pagination import NewestFirstPagination
from sessions_app import selectors, services
from sessions_app.serializers import (
    ACTION_EXAMPLES,
    GAMEPLAY_ACTION,
    ActionResultSerializer,
    BatchInputSerializer,
    BatchResultSerializer,
    SessionCreateInputSerializer,
    SessionOutputSerializer,
    batch_actions,
    session_data,
)


def policy_of(request) -> tuple[str, str]:
    """The policy that chose this action, from `X-Policy-Id` / `X-Policy-Version` (recorded on the step)."""
    return request.headers.get("X-Policy-Id", "")[:100], request.headers.get("X-Policy-Version", "")[:100]


class SessionListCreateApi(APIView):
    pagination_class = NewestFirstPagination  # documents the {next, previous, results} envelope; get() paginates by hand
    @extend_schema(request=SessionCreateInputSerializer, responses={201: SessionOutputSerializer}, tags=["sessions"],
                   summary="Create a gameplay session (state idle)")
    @idempotent
    def post(self, request, version):
        data = SessionCreateInputSerializer(data=request.data)
        data.is_valid(raise_exception=True)
        fields = data.validated_data
        budget = parse_amount(fields["budget"], field="budget") if fields.get("budget") is not None else None
        actor = policy.actor_of_request(request)
        session = services.session_create(actor=actor, game_slug=fields["game"], wallet_id=fields["wallet"],
                                          budget=budget, max_spins=fields.get("max_spins"),
                                          client_seed=fields.get("client_seed"), reward_function=fields["reward_function"])
        session = selectors.session_get(session_id=session.pk, actor=actor)
        return Response(SessionOutputSerializer(session_data(session)).data, status=status.HTTP_201_CREATED)

    @extend_schema(responses=SessionOutputSerializer(many=True), tags=["sessions"], summary="List sessions",
                   parameters=[OpenApiParameter("state", str), OpenApiParameter("game", str),
                               OpenApiParameter("owner", str, description="operators/admins only")])
    def get(self, request, version):
        queryset = selectors.session_list(actor=policy.actor_of_request(request), state=request.query_params.get("state"),
                                          game=request.query_params.get("game"), owner=request.query_params.get("owner"))
        paginator = NewestFirstPagination()
        page = paginator.paginate_queryset(queryset, request, view=self)
        return paginator.get_paginated_response([session_data(session) for session in page])


class SessionDetailApi(APIView):
    @extend_schema(responses=SessionOutputSerializer, tags=["sessions"],
                   summary="State, bet, metrics, allowed actions, last transitions, seed commitment")
    def get(self, request, version, session_id: int):
        session = selectors.session_get(session_id=session_id, actor=policy.actor_of_request(request))
        return Response(SessionOutputSerializer(session_data(session, selectors.session_recent_transitions(session=session))).data)


class SessionActionApi(APIView):
    @extend_schema(request=GAMEPLAY_ACTION, responses=ActionResultSerializer, tags=["sessions"],
                   examples=ACTION_EXAMPLES, summary="Take a gameplay action",
                   description="Illegal actions for the current state answer 409 INVALID_STATE_TRANSITION and change "
                               "nothing. Use Idempotency-Key to make retries safe; without it a spin is a new spin.")
    @idempotent
    def post(self, request, version, session_id: int):
        if not isinstance(request.data, dict):
            raise serializers.ValidationError({"non_field_errors": ["Expected a JSON object."]})
        return Response(services.session_act(session_id=session_id, actor=policy.actor_of_request(request), action=request.data,
                                             policy=policy_of(request)))


class SessionBatchActionApi(APIView):
    @extend_schema(request=BatchInputSerializer, responses=BatchResultSerializer, tags=["sessions"], versions=["v2"],
                   summary="v2: run up to SESSION_BATCH_MAX_ACTIONS (1000) actions in order in one transaction, all or nothing",
                   description="A batch that cannot finish within SESSION_BATCH_DEADLINE_SECONDS (15 s) is rolled back "
                               "and answered 503 BATCH_DEADLINE_EXCEEDED; send fewer actions.")
    @extend_schema(exclude=True, versions=["v1"])  # v1 answers this path 404
    @idempotent
    def post(self, request, version, session_id: int):
        if version != "v2":
            raise NotFound()
        # Counted from here, so the deadline covers waiting for the session lock as well.
        deadline = time.monotonic() + settings.SESSION_BATCH_DEADLINE_SECONDS
        results = services.session_act_batch(session_id=session_id, actor=policy.actor_of_request(request),
                                             actions=batch_actions(request.data), policy=policy_of(request),
                                             deadline=deadline)
        return Response({"results": results})
