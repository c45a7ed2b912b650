"""A batch request's actions: `batch_actions` skips the serializer for a plain JSON body and must answer
exactly what BatchInputSerializer answers, for good bodies and bad ones (the same errors)."""
import pytest
from django.conf import settings
from django.http import QueryDict
from rest_framework import serializers

from sessions_app.serializers import BatchInputSerializer, batch_actions

MAX = settings.SESSION_BATCH_MAX_ACTIONS


def _serializer_answer(data):
    serializer = BatchInputSerializer(data=data)
    if serializer.is_valid():
        return "valid", serializer.validated_data["actions"]
    return "invalid", serializer.errors


def _batch_actions_answer(data):
    try:
        return "valid", batch_actions(data)
    except serializers.ValidationError as exc:
        return "invalid", exc.detail


@pytest.mark.parametrize("data", [
    {"actions": [{"type": "spin"}]},
    {"actions": [{"type": "spin"}] * MAX},
    {"actions": [{"type": "place_bet", "amount": "0.5", "nested": {"a": [1, None]}}, {"type": None}, {}]},
    {"actions": [{"type": "spin"}], "other": 1},
    {"actions": []},
    {"actions": [{"type": "spin"}] * (MAX + 1)},
    {"actions": [{"type": "spin"}, "spin"]},
    {"actions": [{"type": "spin"}, ["type", "spin"]]},
    {"actions": [{"type": "spin"}, None]},
    {"actions": {"type": "spin"}},
    {"actions": "spin"},
    {"actions": None},
    {},
    [{"type": "spin"}],
    "actions",
    None,
    QueryDict("actions=spin"),
])
def test_batch_actions_answers_as_the_serializer(data):
    assert _batch_actions_answer(data) == _serializer_answer(data)
