"""Every registered model's changelist and change page, with rows present, in a bounded number of
queries and without a query repeated per row. One test walks all models so the (slow to build)
world is made once; failures are collected so one run names every offender."""
import re
from collections import Counter

import pytest
from django.contrib import admin
from django.db import connection
from django.test.utils import CaptureQueriesContext
from django.urls import reverse

pytestmark = pytest.mark.django_db

MAX_CHANGELIST_QUERIES = 12
MAX_CHANGE_PAGE_QUERIES = 15
MIN_ROWS = 3


def _models():
    return sorted(admin.site._registry, key=lambda model: model._meta.label)


def _shape(sql: str) -> str:
    """The query with its literals removed: the same shape repeated once per row is an N+1."""
    return re.sub(r"'[^']*'|\b\d+\b", "?", sql)


def _page_problems(client, url: str, max_queries: int, *, per_row_check: bool) -> list[str]:
    with CaptureQueriesContext(connection) as captured:
        response = client.get(url)
    if response.status_code != 200:
        return [f"{url}: HTTP {response.status_code}"]
    problems = []
    if len(captured) > max_queries:
        problems.append(f"{url}: {len(captured)} queries > {max_queries}")
    if per_row_check:
        repeated = {shape: n for shape, n in Counter(_shape(q["sql"]) for q in captured).items() if n > 2}
        if repeated:
            problems.append(f"{url}: queries repeated per row: {repeated}")
    return problems


def test_admin_every_model_changelist_and_change_page_have_bounded_queries(root_client, world):
    problems = []
    for model in _models():
        opts = model._meta
        if model._default_manager.count() < MIN_ROWS:
            problems.append(f"{opts.label}: the world fixture must create at least {MIN_ROWS} rows")
            continue
        problems += _page_problems(root_client, reverse(f"admin:{opts.app_label}_{opts.model_name}_changelist"),
                                   MAX_CHANGELIST_QUERIES, per_row_check=True)
        obj = model._default_manager.order_by("pk").last()
        problems += _page_problems(root_client, reverse(f"admin:{opts.app_label}_{opts.model_name}_change",
                                                        args=[obj.pk]),
                                   MAX_CHANGE_PAGE_QUERIES, per_row_check=False)
    assert not problems, "\n".join(problems)


def test_admin_operator_can_view_every_changelist_but_not_add(operator_console_client, world):
    problems = []
    for model in _models():
        opts = model._meta
        response = operator_console_client.get(reverse(f"admin:{opts.app_label}_{opts.model_name}_changelist"))
        if response.status_code != 200:
            problems.append(f"{opts.label}: HTTP {response.status_code}")
            continue
        add_url = reverse(f"admin:{opts.app_label}_{opts.model_name}_add")
        # Starting a probe campaign is an operator duty (DESIGN.md §7); nothing else is added by operators.
        if add_url.encode() in response.content and opts.label != "fingerprint_app.ProbeCampaign":
            problems.append(f"{opts.label}: operator sees an add link")
        if operator_console_client.get(add_url).status_code not in (403,) and opts.label != "fingerprint_app.ProbeCampaign":
            problems.append(f"{opts.label}: operator may open the add form")
    assert not problems, "\n".join(problems)
