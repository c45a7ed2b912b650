"""The operator dashboard and its task buttons, served inside the Django admin (staff login, the
admin's own CSRF and login redirects via `admin.site.admin_view`)."""
from django.contrib import admin, messages
from django.core.exceptions import PermissionDenied
from django.shortcuts import redirect
from django.template.response import TemplateResponse
from django.utils.safestring import mark_safe
from django.views.decorators.http import require_POST

from core.policy import Act, actor_from_user, role_allows
from operator_console import services
from operator_console.charts import house_edge_svg
from operator_console.selectors import dashboard_get

# task name in the URL -> (policy action, service, what the message says)
TASKS = {
    "ledger-audit": (Act.AUDIT_RUN, services.ledger_audit_run_by, "Ledger audit"),
    "channel-audit": (Act.AUDIT_RUN, services.channel_audit_run_by, "Channel audit"),
    "expire-commits": (Act.COMMITS_EXPIRE, services.stale_commits_expire_by, "Stale commit expiry"),
}


def _may(request, action: str) -> bool:
    return role_allows(actor_from_user(request.user), action)


def _require(request, action: str) -> None:
    if not _may(request, action):
        raise PermissionDenied


def dashboard_view(request):
    _require(request, Act.CONSOLE_DASHBOARD)
    data = dashboard_get()
    context = {
        **admin.site.each_context(request),
        "title": "Operator dashboard",
        "d": data,
        # Built by charts.house_edge_svg from numbers and escaped labels only.
        "edge_chart": mark_safe(house_edge_svg(data.edges)),  # noqa: S308
        "can_run_audits": _may(request, Act.AUDIT_RUN),
        "can_expire_commits": _may(request, Act.COMMITS_EXPIRE),
    }
    return TemplateResponse(request, "admin/operator_console/dashboard.html", context)


@require_POST
def run_task_view(request, task: str):
    if task not in TASKS:
        raise PermissionDenied
    action, run, label = TASKS[task]
    _require(request, action)
    log = run(actor=request.user)
    level = messages.SUCCESS if log.outcome == "ok" else messages.ERROR
    summary = ", ".join(f"{key}={value}" for key, value in log.details.items() if not isinstance(value, (list, dict)))
    messages.add_message(request, level, f"{label}: {log.outcome} ({summary}).")
    return redirect("operator-dashboard")
