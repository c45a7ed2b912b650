from drf_spectacular.utils import extend_schema
from rest_framework.response import Response
from rest_framework.views import APIView

from core.policy import Act, actor_of_request, allows_any
from games_app.selectors import game_get, game_list
from games_app.serializers import GameFullSerializer, GamePublicSerializer, latest_of


def _serialize(request, game) -> dict:
    version = latest_of(game)
    version.game = game
    if allows_any(actor_of_request(request), Act.GAME_READ_FULL):
        return GameFullSerializer(GameFullSerializer.from_version(
            version, versions=sorted(v.version for v in game.versions.all()))).data
    return GamePublicSerializer(GamePublicSerializer.from_version(version)).data


class GameListApi(APIView):
    @extend_schema(responses=GamePublicSerializer(many=True), tags=["games"],
                   summary="Games (agents: public shape only; operators/admins: full maths)")
    def get(self, request, version):
        return Response([_serialize(request, game) for game in game_list() if game.versions.all()])


class GameDetailApi(APIView):
    @extend_schema(responses=GameFullSerializer, tags=["games"],
                   summary="One game; the definition and PAR sheet only for operators and admins")
    def get(self, request, version, slug):
        return Response(_serialize(request, game_get(slug=slug)))
