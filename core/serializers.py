from rest_framework import serializers

from core.models import ApiToken, Role


class TokenOutputSerializer(serializers.ModelSerializer):
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
