import pytest
from django.contrib.auth import get_user_model

from rl_app.models import ExperienceStep, PolicyFeedback, WebhookDelivery, WebhookHook
from tests.rl_app.conftest import act, playing_session

pytestmark = pytest.mark.django_db


@pytest.fixture
def staff_client(client):
    user = get_user_model().objects.create_superuser("root", "root@example.com", "pw-not-used")
    client.force_login(user)
    return client


@pytest.fixture
def rl_rows(agent_client, new_session):
    session_id = playing_session(agent_client, new_session)
    for _ in range(5):
        act(agent_client, session_id, type="spin")
    for step in range(3):
        PolicyFeedback.objects.create(owner=agent_client.token.owner, session_id=session_id, step_index=step,
                                      policy_id="ppo")
    hook = WebhookHook.objects.create(owner=agent_client.token.owner, url="https://93.184.216.34/h", events=["step"],
                                      secret="s" * 64)
    for index in range(4):
        WebhookDelivery.objects.create(hook=hook, event="step", session_id=session_id, step_index=index, payload={})
    return session_id


@pytest.mark.parametrize("model", ["experiencestep", "policyfeedback", "webhookhook", "webhookdelivery"])
def test_rl_changelists_render_with_constant_queries(staff_client, rl_rows, model, django_assert_max_num_queries):
    with django_assert_max_num_queries(10):
        response = staff_client.get(f"/admin/rl_app/{model}/")
    assert response.status_code == 200


def test_append_only_tables_are_read_only_and_secrets_hidden(staff_client, rl_rows):
    step = ExperienceStep.objects.first()
    assert staff_client.get("/admin/rl_app/experiencestep/add/").status_code == 403
    assert staff_client.post(f"/admin/rl_app/experiencestep/{step.pk}/delete/", {"post": "yes"}).status_code == 403
    assert ExperienceStep.objects.filter(pk=step.pk).exists()
    delivery = WebhookDelivery.objects.first()
    assert staff_client.post(f"/admin/rl_app/webhookdelivery/{delivery.pk}/delete/", {"post": "yes"}).status_code == 403
    hook = WebhookHook.objects.get()
    page = staff_client.get(f"/admin/rl_app/webhookhook/{hook.pk}/change/").content.decode()
    assert "s" * 64 not in page
