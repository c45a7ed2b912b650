"""Schemathesis against the served OpenAPI schemas (/api/v1/schema/, /api/v2/schema/), in process
through the WSGI app, with a valid admin token: no 5xx, and every response, error bodies included,
has a documented status code, content type and shape.

Two runs per version: positive (schema-conforming data; responses must conform) and negative
(schemathesis 4's equivalent of `--mode all`: data that violates the schema — wrong types, missing
and extra fields, out-of-range values; zero 5xx and every error in the error contract). Strings
may hold any UTF-8 character, NUL included. Nested bodies, lone surrogates and hostile query
strings are fuzzed by tests/reliability/test_input_fuzz.py.

Bounded: a few generated examples per operation (SCHEMATHESIS_MAX_EXAMPLES, default 10; negative
mode SCHEMATHESIS_NEGATIVE_EXAMPLES, default 4), every operation run even when an earlier one
fails, and all failures reported together.
"""
import os
from collections import Counter

import pytest
from django.core.wsgi import get_wsgi_application
from hypothesis import HealthCheck, Phase, given, settings
from hypothesis.errors import Unsatisfiable

pytestmark = [pytest.mark.django_db(transaction=True), pytest.mark.slow]

import schemathesis  # noqa: E402
from schemathesis.checks import not_a_server_error  # noqa: E402
from schemathesis.specs.openapi.checks import (content_type_conformance, response_schema_conformance,  # noqa: E402
                                               status_code_conformance)
from schemathesis.generation import GenerationMode  # noqa: E402

MAX_EXAMPLES = int(os.environ.get("SCHEMATHESIS_MAX_EXAMPLES", "10"))
NEGATIVE_EXAMPLES = int(os.environ.get("SCHEMATHESIS_NEGATIVE_EXAMPLES", "4"))
CHECKS = [not_a_server_error, status_code_conformance, content_type_conformance, response_schema_conformance]
NEGATIVE_CHECKS = [not_a_server_error]


def _run_schema(version: str, raw_token: str, mode: GenerationMode = GenerationMode.POSITIVE
                ) -> tuple[int, list[str], Counter]:
    schema = schemathesis.openapi.from_wsgi(f"/api/{version}/schema/", get_wsgi_application())
    schema.config.generation.update(allow_x00=True, codec="utf-8", with_security_parameters=False)
    negative = mode == GenerationMode.NEGATIVE
    headers = {"Authorization": f"Bearer {raw_token}"}
    failures: list[str] = []
    statuses: Counter = Counter()
    operations = 0
    for result in schema.get_all_operations():
        operation = result.ok()
        operations += 1

        @settings(max_examples=NEGATIVE_EXAMPLES if negative else MAX_EXAMPLES, deadline=None, database=None,
                  derandomize=True, phases=[Phase.explicit, Phase.generate], suppress_health_check=list(HealthCheck))
        @given(case=operation.as_strategy(generation_mode=mode))
        def check(case):
            response = case.call(headers=headers)
            statuses[response.status_code] += 1
            if negative:
                case.validate_response(response, checks=NEGATIVE_CHECKS, headers=headers)
                _assert_error_contract(response, version)
            else:
                case.validate_response(response, checks=CHECKS, headers=headers)

        try:
            check()
        except Unsatisfiable:
            if not negative:
                raise
            # Nothing about this operation can be made invalid (no parameters, no body): no negative case.
        except (Exception, BaseExceptionGroup) as exc:  # collect, so one run reports every failing operation
            summary = "\n".join(line for line in str(exc).splitlines()[:12] if line.strip())
            failures.append(f"{operation.method.upper()} {operation.path}: {summary}")
    return operations, failures, statuses


def _assert_error_contract(response, version: str) -> None:
    """Every refusal is the error contract: v1 {"error": {code, message, …}}, v2 problem+json."""
    if response.status_code < 400:
        return
    body = response.json()
    if version == "v2":
        assert body["code"] and body["status"] == response.status_code and "request_id" in body, body
    else:
        assert body["error"]["code"] and "message" in body["error"], body


@pytest.mark.parametrize("version", ["v1", "v2"])
def test_schemathesis_negative_data_never_5xx(version, make_token):
    _, raw = make_token("admin", rate_limit="1000000/m")
    operations, failures, statuses = _run_schema(version, raw, GenerationMode.NEGATIVE)
    print(f"schemathesis negative {version}: {operations} operations, responses by status "
          f"{dict(sorted(statuses.items()))}")
    assert operations > 20 and sum(statuses.values()) >= operations
    assert not any(status >= 500 for status in statuses), statuses
    assert not failures, "\n\n".join(failures)


@pytest.mark.parametrize("version", ["v1", "v2"])
def test_schemathesis_no_5xx_and_responses_conform(version, make_token):
    _, raw = make_token("admin", rate_limit="1000000/m")
    operations, failures, statuses = _run_schema(version, raw)
    print(f"schemathesis {version}: {operations} operations, responses by status {dict(sorted(statuses.items()))}")
    assert operations > 20
    assert sum(n for status, n in statuses.items() if status < 300) >= operations  # the token works
    assert not failures, "\n\n".join(failures)
