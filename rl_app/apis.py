"""HTTP ↔ rl_app: traces, episodes, policy feedback, webhooks. One set of views for v1 and v2."""
from drf_spectacular.utils import OpenApiParameter, extend_schema
from rest_framework import serializers, status
from rest_framework.response import Response
from rest_framework.views import APIView

from core import policy
from core.idempotency import idempotent
from core.pagination import IntegerCursorPagination, NewestFirstPagination
from rl_app import selectors, services
from rl_app.models import (
    ExperienceStep,
    PolicyFeedback,
    WebhookDelivery,
    WebhookEvent,
    WebhookHook,
)
from rl_app.webhooks import SIGNATURE_HEADER


class StepPagination(IntegerCursorPagination):
    ordering = "index"
    page_size = 100
    page_size_query_param = "limit"
    max_page_size = 1000


def _paginate(view, paginator, queryset, serializer_class, to_data=None):
    page = paginator.paginate_queryset(queryset, view.request, view=view)
    rows = [to_data(row) for row in page] if to_data else page
    return paginator.get_paginated_response(serializer_class(rows, many=True).data)


def _query(serializer_class, request) -> dict:
    data = serializer_class(data=request.query_params)
    data.is_valid(raise_exception=True)
    return data.validated_data


# --- traces --------------------------------------------------------------------------------------

class StepOutputSerializer(serializers.ModelSerializer):
    class Meta:
        model = ExperienceStep
        fields = ("index", "observation", "action", "reward", "next_observation", "terminated", "truncated", "info",
                  "policy_id", "policy_version", "request_id", "created_at")


class SessionTraceApi(APIView):
    pagination_class = StepPagination  # documents the {next, previous, results} envelope; get() paginates by hand
    class FilterSerializer(serializers.Serializer):
        after = serializers.IntegerField(required=False, min_value=-1, max_value=2**31 - 1)

    @extend_schema(responses=StepOutputSerializer(many=True), tags=["rl"],
                   summary="Experience steps of a session (an episode), oldest first, cursor-paginated",
                   parameters=[OpenApiParameter("after", int, description="Only steps with a larger index"),
                               OpenApiParameter("limit", int, description="Page size, 1-1000 (default 100)")])
    def get(self, request, version, session_id: int):
        filters = _query(self.FilterSerializer, request)
        steps = selectors.trace_steps(session_id=session_id, actor=policy.actor_of_request(request), after=filters.get("after"))
        return _paginate(self, StepPagination(), steps, StepOutputSerializer)


# --- episodes ------------------------------------------------------------------------------------

class EpisodeOutputSerializer(serializers.Serializer):
    session = serializers.IntegerField()
    owner = serializers.CharField()
    game = serializers.CharField()
    policy_id = serializers.CharField(allow_blank=True)
    policy_version = serializers.CharField(allow_blank=True)
    reward_function = serializers.CharField()
    steps = serializers.IntegerField()
    total_reward = serializers.FloatField()
    terminated = serializers.BooleanField()
    truncated = serializers.BooleanField()
    state = serializers.CharField()
    started_at = serializers.DateTimeField()
    ended_at = serializers.DateTimeField(allow_null=True)


def _episode_data(session) -> dict:
    return {"session": session.pk, "owner": session.owner.username, "game": session.game_version.game.slug,
            "policy_id": session.policy_id or "", "policy_version": session.policy_version or "",
            "reward_function": session.reward_function, "steps": session.steps, "total_reward": session.total_reward,
            "terminated": session.terminated, "truncated": session.truncated, "state": session.state,
            "started_at": session.created_at, "ended_at": session.completed_at}


class EpisodeListApi(APIView):
    pagination_class = NewestFirstPagination  # documents the {next, previous, results} envelope; get() paginates by hand
    class FilterSerializer(serializers.Serializer):
        game = serializers.SlugField(required=False, max_length=64)
        policy = serializers.CharField(required=False, max_length=100)
        since = serializers.DateTimeField(required=False)
        until = serializers.DateTimeField(required=False)
        owner = serializers.CharField(required=False, max_length=150)

        def validate(self, attrs):
            if attrs.get("since") and attrs.get("until") and attrs["since"] >= attrs["until"]:
                raise serializers.ValidationError({"until": ["until must be after since."]})
            return attrs

    @extend_schema(responses=EpisodeOutputSerializer(many=True), tags=["rl"], summary="Episodes (sessions with steps)",
                   parameters=[OpenApiParameter("game", str), OpenApiParameter("policy", str, description="Policy id"),
                               OpenApiParameter("since", str, description="ISO 8601 date or datetime, inclusive"),
                               OpenApiParameter("until", str, description="ISO 8601 date or datetime, exclusive"),
                               OpenApiParameter("owner", str, description="Operators/admins only"),
                               OpenApiParameter("limit", int, description="Page size, 1-200 (default 50)")])
    def get(self, request, version):
        filters = _query(self.FilterSerializer, request)
        episodes = selectors.episode_list(actor=policy.actor_of_request(request), **filters)
        return _paginate(self, NewestFirstPagination(), episodes, EpisodeOutputSerializer, _episode_data)


# --- policy feedback -----------------------------------------------------------------------------

class FeedbackOutputSerializer(serializers.ModelSerializer):
    session = serializers.IntegerField(source="session_id")
    step = serializers.IntegerField(source="step_index", allow_null=True)
    owner = serializers.CharField(source="owner.username")

    class Meta:
        model = PolicyFeedback
        fields = ("id", "session", "step", "policy_id", "policy_version", "value_estimates", "data", "owner",
                  "request_id", "created_at")


class FeedbackApi(APIView):
    pagination_class = NewestFirstPagination  # documents the {next, previous, results} envelope; get() paginates by hand
    class FeedbackInputSerializer(serializers.Serializer):
        session = serializers.IntegerField(min_value=1, max_value=2**63 - 1)
        step = serializers.IntegerField(required=False, allow_null=True, min_value=0, max_value=2**31 - 1)
        policy_id = serializers.CharField(min_length=1, max_length=100)
        policy_version = serializers.CharField(required=False, allow_blank=True, max_length=100, default="")
        value_estimates = serializers.DictField(required=False, default=dict, help_text=(
            'Named estimates: a finite number or a list of finite numbers each, e.g. {"v": 0.4, "q": [0.1, 0.3]}'))
        data = serializers.JSONField(required=False, default=dict, help_text="Free JSON, at most 16 KiB")

    class FilterSerializer(serializers.Serializer):
        session = serializers.IntegerField(required=False, min_value=1, max_value=2**63 - 1)
        policy = serializers.CharField(required=False, max_length=100)

    @extend_schema(request=FeedbackInputSerializer, responses={201: FeedbackOutputSerializer}, tags=["rl"],
                   summary="Record policy feedback on an episode or one of its steps")
    @idempotent
    def post(self, request, version):
        data = self.FeedbackInputSerializer(data=request.data)
        data.is_valid(raise_exception=True)
        fields = data.validated_data
        feedback = services.policy_feedback_create(
            actor=policy.actor_of_request(request), session_id=fields["session"], step_index=fields.get("step"),
            policy_id=fields["policy_id"], policy_version=fields["policy_version"],
            value_estimates=fields["value_estimates"], data=fields["data"])
        return Response(FeedbackOutputSerializer(feedback).data, status=status.HTTP_201_CREATED)

    @extend_schema(responses=FeedbackOutputSerializer(many=True), tags=["rl"], summary="List policy feedback",
                   parameters=[OpenApiParameter("session", int), OpenApiParameter("policy", str),
                               OpenApiParameter("limit", int, description="Page size, 1-200 (default 50)")])
    def get(self, request, version):
        filters = _query(self.FilterSerializer, request)
        feedback = selectors.policy_feedback_list(actor=policy.actor_of_request(request),
                                                  session_id=filters.get("session"), policy=filters.get("policy"))
        return _paginate(self, NewestFirstPagination(), feedback, FeedbackOutputSerializer)


# --- webhooks ------------------------------------------------------------------------------------

class HookOutputSerializer(serializers.ModelSerializer):
    owner = serializers.CharField(source="owner.username")
    events = serializers.ListField(child=serializers.ChoiceField(choices=WebhookEvent.choices))

    class Meta:
        model = WebhookHook
        fields = ("id", "url", "events", "reward_threshold", "description", "active", "owner", "created_at")


class HookCreatedSerializer(HookOutputSerializer):
    secret = serializers.CharField(help_text=f"Shown only now. Every delivery carries {SIGNATURE_HEADER}: "
                                             "sha256=<hex HMAC-SHA256(secret, raw body)>.")

    class Meta(HookOutputSerializer.Meta):
        fields = (*HookOutputSerializer.Meta.fields, "secret")


class HookRotatedSerializer(HookCreatedSerializer):
    previous_secret_expires_at = serializers.DateTimeField(
        allow_null=True, help_text="Until then deliveries also carry X-Royale-Signature-Previous (old secret)")

    class Meta(HookCreatedSerializer.Meta):
        fields = (*HookCreatedSerializer.Meta.fields, "previous_secret_expires_at")


class HookSecretRotateApi(APIView):
    class RotateInputSerializer(serializers.Serializer):
        grace_seconds = serializers.IntegerField(required=False, default=0, min_value=0,
                                                 max_value=services.MAX_ROTATION_GRACE_SECONDS)

    @extend_schema(request=RotateInputSerializer, responses={200: HookRotatedSerializer}, tags=["rl"],
                   summary="Rotate a webhook's signing secret",
                   description="The new secret is shown once. With grace_seconds > 0 (up to 7 days) deliveries are "
                               "also signed with the old secret in X-Royale-Signature-Previous until "
                               "previous_secret_expires_at; 0 retires the old secret at once.")
    @idempotent
    def post(self, request, version, hook_id: int):
        data = self.RotateInputSerializer(data=request.data)
        data.is_valid(raise_exception=True)
        hook, secret = services.webhook_secret_rotate(actor=policy.actor_of_request(request), hook_id=hook_id,
                                                      grace_seconds=data.validated_data["grace_seconds"])
        hook.secret = secret
        return Response(HookRotatedSerializer(hook).data)


class HookListCreateApi(APIView):
    pagination_class = NewestFirstPagination  # documents the {next, previous, results} envelope; get() paginates by hand
    class HookInputSerializer(serializers.Serializer):
        url = serializers.CharField(max_length=2000)
        events = serializers.ListField(child=serializers.ChoiceField(choices=WebhookEvent.choices), min_length=1,
                                       max_length=3)
        reward_threshold = serializers.FloatField(required=False, allow_null=True)
        description = serializers.CharField(required=False, allow_blank=True, max_length=200, default="")

    @extend_schema(request=HookInputSerializer, responses={201: HookCreatedSerializer}, tags=["rl"],
                   summary="Register a webhook (events: step, episode_end, reward_threshold)",
                   description="The URL must be public http(s): private, loopback and link-local targets answer "
                               "400 WEBHOOK_URL_REFUSED. The secret is shown once.")
    @idempotent
    def post(self, request, version):
        data = self.HookInputSerializer(data=request.data)
        data.is_valid(raise_exception=True)
        fields = data.validated_data
        hook, secret = services.webhook_hook_create(
            actor=policy.actor_of_request(request), url=fields["url"], events=fields["events"],
            reward_threshold=fields.get("reward_threshold"), description=fields["description"])
        hook.secret = secret
        return Response(HookCreatedSerializer(hook).data, status=status.HTTP_201_CREATED)

    @extend_schema(responses=HookOutputSerializer(many=True), tags=["rl"], summary="List webhooks (secrets omitted)",
                   parameters=[OpenApiParameter("limit", int, description="Page size, 1-200 (default 50)")])
    def get(self, request, version):
        return _paginate(self, NewestFirstPagination(), selectors.webhook_hook_list(actor=policy.actor_of_request(request)),
                         HookOutputSerializer)


class HookDetailApi(APIView):
    @extend_schema(responses=HookOutputSerializer, tags=["rl"], summary="One webhook")
    def get(self, request, version, hook_id: int):
        return Response(HookOutputSerializer(selectors.webhook_hook_get(hook_id=hook_id, actor=policy.actor_of_request(request))).data)

    @extend_schema(responses={204: None}, tags=["rl"], summary="Deactivate a webhook (its delivery log is kept)")
    def delete(self, request, version, hook_id: int):
        services.webhook_hook_deactivate(actor=policy.actor_of_request(request), hook_id=hook_id)
        return Response(status=status.HTTP_204_NO_CONTENT)


class DeliveryOutputSerializer(serializers.ModelSerializer):
    session = serializers.IntegerField(source="session_id", allow_null=True)
    event = serializers.CharField(help_text="One of the hook's events")

    class Meta:
        model = WebhookDelivery
        fields = ("id", "event", "session", "step_index", "status", "attempts", "response_code", "last_error",
                  "created_at", "delivered_at")


class HookDeliveryListApi(APIView):
    pagination_class = NewestFirstPagination  # documents the {next, previous, results} envelope; get() paginates by hand
    @extend_schema(responses=DeliveryOutputSerializer(many=True), tags=["rl"], summary="Delivery log of a webhook",
                   parameters=[OpenApiParameter("limit", int, description="Page size, 1-200 (default 50)")])
    def get(self, request, version, hook_id: int):
        deliveries = selectors.webhook_delivery_list(hook_id=hook_id, actor=policy.actor_of_request(request))
        return _paginate(self, NewestFirstPagination(), deliveries, DeliveryOutputSerializer)

