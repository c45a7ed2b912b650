"""The operator dashboard and its task buttons, served inside the Django admin (staff login, the
admin's own CSRF and login redirects via `admin.site.admin_view`)."""
from django.contrib import admin, messages
from django.core.exceptions import PermissionDenied
from django.shortcuts import redirect
from django.template.response import TemplateResponse
from django.utils.safestring import mark_safe
from django.views.decorators.http import require_POST

from operator_console import services
from operator_console.charts import house_edge_svg
from operator_console.selectors import dashboard_get

# task name in the URL -> (permission, service, what the message says)
TASKS = {
    "ledger-audit": ("run_audits", services.ledger_audit_run_by, "Ledger audit"),
    "channel-audit": ("run_audits", services.channel_audit_run_by, "Channel audit"),
    "expire-commits": ("expire_commits", services.stale_commits_expire_by, "Stale commit expiry"),
}


def _require(request, codename: str) -> None:
    if not request.user.has_perm(f"operator_console.{codename}"):
        raise PermissionDenied


def dashboard_view(request):
    _require(request, "view_dashboard")
    data = dashboard_get()
    context = {
        **admin.site.each_context(request),
        "title": "Operator dashboard",
        "d": data,
        # Built by charts.house_edge_svg from numbers and escaped labels only.
        "edge_chart": mark_safe(house_edge_svg(data.edges)),  # noqa: S308
        "can_run_audits": request.user.has_perm("operator_console.run_audits"),
        "can_expire_commits": request.user.has_perm("operator_console.expire_commits"),
    }
    return TemplateResponse(request, "admin/operator_console/dashboard.html", context)


@require_POST
def run_task_view(request, task: str):
    if task not in TASKS:
        raise PermissionDenied
    codename, run, label = TASKS[task]
    _require(request, codename)
    log = run(actor=request.user)
    level = messages.SUCCESS if log.outcome == "ok" else messages.ERROR
    summary = ", ".join(f"{key}={value}" for key, value in log.details.items() if not isinstance(value, (list, dict)))
    messages.add_message(request, level, f"{label}: {log.outcome} ({summary}).")
    return redirect("operator-dashboard")
