from django.shortcuts import get_object_or_404
from drf_spectacular.utils import extend_schema
from rest_framework import status
from rest_framework.response import Response
from rest_framework.views import APIView

from core.idempotency import idempotent
from core.models import ApiToken
from core.permissions import role_may
from core.policy import Act
from core.serializers import TokenCreatedSerializer, TokenCreateInputSerializer, TokenOutputSerializer
from core.services import token_create, token_revoke


class MeApi(APIView):
    @extend_schema(responses=TokenOutputSerializer, summary="The calling token", tags=["tokens"])
    def get(self, request, version):
        return Response(TokenOutputSerializer(request.auth).data)


class TokenCreateApi(APIView):
    permission_classes = [role_may(Act.TOKEN_CREATE)]

    @extend_schema(request=TokenCreateInputSerializer, responses={201: TokenCreatedSerializer},
                   summary="Create an API token (admin); the raw token is returned once", tags=["tokens"])
    @idempotent
    def post(self, request, version):
        data = TokenCreateInputSerializer(data=request.data)
        data.is_valid(raise_exception=True)
        fields = data.validated_data
        token, raw = token_create(name=fields["name"], role=fields["role"], owner_username=fields.get("owner"),
                                  expires_at=fields.get("expires_at"), rate_limit=fields["rate_limit"])
        body = TokenOutputSerializer(token).data | {"token": raw}
        return Response(body, status=status.HTTP_201_CREATED)


class TokenRevokeApi(APIView):
    permission_classes = [role_may(Act.TOKEN_REVOKE)]

    @extend_schema(request=None, responses=TokenOutputSerializer, summary="Revoke a token (admin)", tags=["tokens"])
    @idempotent
    def post(self, request, version, prefix):
        token = get_object_or_404(ApiToken.objects.select_related("owner"), prefix=prefix)
        return Response(TokenOutputSerializer(token_revoke(token=token)).data)
