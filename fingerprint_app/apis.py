"""HTTP ↔ fingerprinting. One set of views for v1 and v2 (the URL carries the version)."""
from drf_spectacular.utils import OpenApiParameter, extend_schema
from rest_framework import status
from rest_framework.response import Response
from rest_framework.views import APIView

from core import policy
from core.exceptions import ValidationFailed
from core.idempotency import idempotent
from core.pagination import NewestFirstPagination
from core.permissions import role_may
from fingerprint_app import selectors, services
from fingerprint_app.serializers import (
    CampaignCreateInputSerializer,
    CampaignOutputSerializer,
    MatchInputSerializer,
    MatchOutputSerializer,
    ProfileDetailSerializer,
    ProfileSummarySerializer,
    campaign_data,
    profile_data,
)
from games_app.exceptions import GameNotFound
from games_app.models import GameVersion
from games_app.selectors import game_latest_version
from wallet_app.models import Wallet
from wallet_app.selectors import wallet_get_for

TAGS = ["fingerprints"]
CAMPAIGN_ID = OpenApiParameter("campaign_id", int, OpenApiParameter.PATH)
PROFILE_ID = OpenApiParameter("profile_id", int, OpenApiParameter.PATH)


def _game_version(slug: str, number: int | None) -> GameVersion:
    if number is None:
        return game_latest_version(slug=slug)
    version = GameVersion.objects.select_related("game").filter(game__slug=slug, version=number).first()
    if version is None:
        raise GameNotFound(details={"game": slug, "game_version": number})
    return version


def _wallet(request, wallet_id: int | None) -> Wallet:
    """The caller's own wallet: only a wallet's owner spends from it, admins included."""
    actor = policy.actor_of_request(request)
    if wallet_id is None:
        wallet = policy.scope(actor, policy.Act.WALLET_SPEND, Wallet.objects.order_by("pk")).first()
        if wallet is None:
            raise ValidationFailed("You have no wallet to charge the queries to; create one or pass wallet_id.",
                                   details={"field": "wallet_id"})
        return wallet
    wallet = wallet_get_for(wallet_id=wallet_id, actor=actor)
    if not policy.allows(actor, policy.Act.WALLET_SPEND, owner_id=wallet.owner_id):
        raise ValidationFailed("The campaign's wallet must be your own.", details={"field": "wallet_id"})
    return wallet


class CampaignListCreateApi(APIView):
    pagination_class = NewestFirstPagination  # documents the {next, previous, results} envelope; get() paginates by hand
    permission_classes = [role_may(policy.Act.CAMPAIGN_MANAGE)]

    @extend_schema(request=CampaignCreateInputSerializer, responses={202: CampaignOutputSerializer}, tags=TAGS,
                   summary="Start a probing campaign against a local game or a remote engine (operator)",
                   description="Answers 202 at once with the queued campaign; a Celery worker "
                               "runs it in chunks. Progress: GET the campaign. Each engine query is charged to the "
                               "wallet at its cost_per_query and counts toward its daily limit; a refused charge "
                               "pauses the campaign.")
    @idempotent
    def post(self, request, version):
        data = CampaignCreateInputSerializer(data=request.data)
        data.is_valid(raise_exception=True)
        fields = data.validated_data
        game_version = _game_version(fields["game"], fields.get("game_version")) if "game" in fields else None
        campaign = services.campaign_create(
            actor=policy.actor_of_request(request), created_by=request.user, game_version=game_version, remote_url=fields.get("remote_url", ""),
            target_spins=fields["target_spins"], query_budget=fields.get("query_budget"),
            wallet=_wallet(request, fields.get("wallet_id")), seed=fields.get("seed"),
            chunk_size=fields.get("chunk_size"), extend_profile=fields["extend_profile"],
            stop_when_exact=fields["stop_when_exact"])
        return Response(CampaignOutputSerializer(campaign_data(campaign, with_signature=False)).data,
                        status=status.HTTP_202_ACCEPTED)

    @extend_schema(responses=CampaignOutputSerializer(many=True), tags=TAGS, summary="List campaigns (operator)")
    def get(self, request, version):
        paginator = NewestFirstPagination()
        page = paginator.paginate_queryset(selectors.campaign_list(), request, view=self)
        return paginator.get_paginated_response(
            [CampaignOutputSerializer(campaign_data(c, with_signature=False)).data for c in page])


class CampaignDetailApi(APIView):
    permission_classes = [role_may(policy.Act.CAMPAIGN_MANAGE)]

    @extend_schema(responses=CampaignOutputSerializer, tags=TAGS, parameters=[CAMPAIGN_ID],
                   summary="Campaign progress, spend and the signature of its sample so far (operator)")
    def get(self, request, version, campaign_id):
        campaign = selectors.campaign_get(campaign_id=int(campaign_id))
        return Response(CampaignOutputSerializer(campaign_data(campaign)).data)


class CampaignResumeApi(APIView):
    permission_classes = [role_may(policy.Act.CAMPAIGN_MANAGE)]

    @extend_schema(request=None, responses=CampaignOutputSerializer, tags=TAGS, parameters=[CAMPAIGN_ID],
                   summary="Resume a paused campaign (e.g. after the daily limit reset) (operator)")
    @idempotent
    def post(self, request, version, campaign_id):
        selectors.campaign_get(campaign_id=int(campaign_id))
        services.campaign_resume(campaign_id=int(campaign_id), actor=policy.actor_of_request(request))
        campaign = selectors.campaign_get(campaign_id=int(campaign_id))
        return Response(CampaignOutputSerializer(campaign_data(campaign, with_signature=False)).data)


class ProfileListApi(APIView):
    pagination_class = NewestFirstPagination  # documents the {next, previous, results} envelope; get() paginates by hand
    @extend_schema(responses=ProfileSummarySerializer(many=True), tags=TAGS,
                   summary="The profile library (every token may read it)",
                   parameters=[OpenApiParameter("engine", str, description="engine_key, e.g. local:fruit-low:v1"),
                               OpenApiParameter("latest", bool, description="only the newest version per engine")])
    def get(self, request, version):
        latest = request.query_params.get("latest", "").lower() in ("1", "true", "yes")
        queryset = selectors.profile_list(engine_key=request.query_params.get("engine") or None, latest_only=latest)
        paginator = NewestFirstPagination()
        page = paginator.paginate_queryset(queryset, request, view=self)
        return paginator.get_paginated_response([ProfileSummarySerializer(profile_data(p)).data for p in page])


class ProfileDetailApi(APIView):
    @extend_schema(responses=ProfileDetailSerializer, tags=TAGS, parameters=[PROFILE_ID],
                   summary="One profile: signature, raw sufficient statistics, convergence, recovered model")
    def get(self, request, version, profile_id):
        profile = selectors.profile_get(profile_id=int(profile_id))
        return Response(ProfileDetailSerializer(profile_data(profile, detail=True)).data)


class MatchApi(APIView):
    permission_classes = [role_may(policy.Act.CAMPAIGN_MANAGE)]

    @extend_schema(request=MatchInputSerializer, responses=MatchOutputSerializer, tags=TAGS,
                   summary="Rank library profiles against a campaign's or a session's sample (operator)",
                   description="Chi-square homogeneity tests on per-reel top-row symbol counts (Fisher-combined) and "
                               "on exact payout multipliers, Bonferroni-combined; verdict unknown when the best "
                               "p-value is below 0.01, insufficient_data (with spins_needed) when the sample is "
                               "smaller than the tests need. See docs/fingerprinting.md.")
    def post(self, request, version):
        data = MatchInputSerializer(data=request.data)
        data.is_valid(raise_exception=True)
        result = selectors.fingerprint_match(campaign_id=data.validated_data.get("campaign_id"),
                                             session_id=data.validated_data.get("session_id"))
        return Response(MatchOutputSerializer(result.to_json()).data)
