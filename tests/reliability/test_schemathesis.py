"""Schemathesis against the served OpenAPI schemas (/api/v1/schema/, /api/v2/schema/), in process
through the WSGI app, with a valid admin token: no 5xx, and every response, error bodies included,
has a documented status code, content type and shape.

Bounded: a few generated examples per operation (SCHEMATHESIS_MAX_EXAMPLES, default 10), every
operation run even when an earlier one fails, and all failures reported together.
"""
import os
from collections import Counter

import pytest
from django.core.wsgi import get_wsgi_application
from hypothesis import HealthCheck, Phase, given, settings

pytestmark = [pytest.mark.django_db(transaction=True), pytest.mark.slow]

schemathesis = pytest.importorskip("schemathesis")
from schemathesis.checks import not_a_server_error  # noqa: E402
from schemathesis.specs.openapi.checks import (content_type_conformance, response_schema_conformance,  # noqa: E402
                                               status_code_conformance)

MAX_EXAMPLES = int(os.environ.get("SCHEMATHESIS_MAX_EXAMPLES", "10"))
CHECKS = [not_a_server_error, status_code_conformance, content_type_conformance, response_schema_conformance]


def _run_schema(version: str, raw_token: str) -> tuple[int, list[str], Counter]:
    schema = schemathesis.openapi.from_wsgi(f"/api/{version}/schema/", get_wsgi_application())
    headers = {"Authorization": f"Bearer {raw_token}"}
    failures: list[str] = []
    statuses: Counter = Counter()
    operations = 0
    for result in schema.get_all_operations():
        operation = result.ok()
        operations += 1

        @settings(max_examples=MAX_EXAMPLES, deadline=None, database=None, derandomize=True,
                  phases=[Phase.explicit, Phase.generate], suppress_health_check=list(HealthCheck))
        @given(case=operation.as_strategy())
        def check(case):
            response = case.call(headers=headers)
            statuses[response.status_code] += 1
            case.validate_response(response, checks=CHECKS, headers=headers)

        try:
            check()
        except (Exception, BaseExceptionGroup) as exc:  # collect, so one run reports every failing operation
            summary = "\n".join(line for line in str(exc).splitlines()[:12] if line.strip())
            failures.append(f"{operation.method.upper()} {operation.path}: {summary}")
    return operations, failures, statuses


@pytest.mark.parametrize("version", ["v1", "v2"])
def test_schemathesis_no_5xx_and_responses_conform(version, make_token):
    _, raw = make_token("admin", rate_limit="1000000/m")
    operations, failures, statuses = _run_schema(version, raw)
    print(f"schemathesis {version}: {operations} operations, responses by status {dict(sorted(statuses.items()))}")
    assert operations > 20
    assert sum(n for status, n in statuses.items() if status < 300) >= operations  # the token works
    assert not failures, "\n\n".join(failures)
