import copy

from rest_framework import serializers

from core.models import ApiToken, Role


class FieldsBuiltOnceMixin:
    """A ModelSerializer builds its fields from the model's metadata for every instance (a third of the CPU
    of `GET /me`); with this mixin a class builds them once and each instance gets a copy. Only for
    serializers whose fields do not depend on the instance or the context."""

    def get_fields(self):
        built = type(self).__dict__.get("_fields_built_once")
        if built is None:
            built = super().get_fields()
            type(self)._fields_built_once = built
        return copy.deepcopy(built)


class TokenOutputSerializer(FieldsBuiltOnceMixin, serializers.ModelSerializer):
    owner = serializers.CharField(source="owner.username")

    class Meta:
        model = ApiToken
        fields = ("prefix", "name", "owner", "role", "rate_limit", "expires_at", "revoked_at", "last_used_at", "created_at")


class TokenCreateInputSerializer(serializers.Serializer):
    name = serializers.CharField(max_length=100)
    role = serializers.ChoiceField(choices=Role.choices, default=Role.AGENT)
    owner = serializers.CharField(max_length=150, required=False, help_text="username; created if missing")
    expires_at = serializers.DateTimeField(required=False, allow_null=True)
    rate_limit = serializers.RegexField(r"^([1-9][0-9]{0,6}/[smhd])?$", required=False, allow_blank=True, default="",
                                      help_text="e.g. 120/m; empty uses the server default")


class TokenCreatedSerializer(TokenOutputSerializer):
    token = serializers.CharField(help_text="The raw token. Shown only in this response.")

    class Meta(TokenOutputSerializer.Meta):
        fields = TokenOutputSerializer.Meta.fields + ("token",)
