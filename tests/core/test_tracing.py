import pytest
from django.db import connection
from django.test import Client
from opentelemetry.sdk.trace import TracerProvider
from opentelemetry.sdk.trace.export import SimpleSpanProcessor
from opentelemetry.sdk.trace.export.in_memory_span_exporter import InMemorySpanExporter
from opentelemetry.trace import SpanKind

from core import tracing
from core.tracing import tracing_sampler, use_tracer_provider

SAMPLED_PARENT = "00-0af7651916cd43dd8448eb211c80319c-b7ad6b7169203331-01"
UNSAMPLED_PARENT = "00-0af7651916cd43dd8448eb211c80319c-b7ad6b7169203331-00"


@pytest.fixture
def traced():
    """traced(ratio) -> the exporter that receives the spans of the requests made from then on."""
    exporter = InMemorySpanExporter()

    def _install(ratio: float) -> InMemorySpanExporter:
        exporter.clear()
        provider = TracerProvider(sampler=tracing_sampler(ratio))
        provider.add_span_processor(SimpleSpanProcessor(exporter))
        use_tracer_provider(provider)
        return exporter

    try:
        yield _install
    finally:
        use_tracer_provider(None)


def _of_kind(exporter: InMemorySpanExporter, kind: SpanKind) -> list:
    return [span for span in exporter.get_finished_spans() if span.kind == kind]


@pytest.mark.django_db
def test_request_span_carries_the_request_id_route_and_status(traced):
    spans = traced(1.0)
    response = Client().get("/health/ready", HTTP_X_REQUEST_ID="trace-42")
    assert response.status_code == 200
    [server] = _of_kind(spans, SpanKind.SERVER)
    assert server.attributes["request_id"] == "trace-42"
    assert server.attributes["http.response.status_code"] == 200
    assert "health/ready" in server.attributes["http.route"] and server.name == f"GET {server.attributes['http.route']}"


@pytest.mark.django_db
def test_a_sampled_request_has_a_server_span_and_a_span_per_statement(traced, make_token):
    _, raw = make_token("agent")
    spans = traced(1.0)
    response = Client().get("/api/v1/me", HTTP_AUTHORIZATION=f"Bearer {raw}")
    assert response.status_code == 200
    [server] = _of_kind(spans, SpanKind.SERVER)
    statements = _of_kind(spans, SpanKind.CLIENT)
    assert statements, "the token lookup is a statement"
    assert all(span.parent.span_id == server.context.span_id for span in statements)
    assert all(span.context.trace_id == server.context.trace_id for span in statements)
    assert any(span.name == "SELECT" and "core_apitoken" in span.attributes["db.statement"] for span in statements)
    assert all(span.attributes["db.system"] == "postgresql" for span in statements)
    assert connection.execute_wrappers == []  # the hook lives only as long as the sampled request


@pytest.mark.django_db
def test_an_unsampled_request_records_nothing_and_wraps_no_statement(traced, make_token, monkeypatch):
    _, raw = make_token("agent")
    spans = traced(0.0)
    hooks_installed = []
    monkeypatch.setattr(tracing._DatabaseSpan, "__init__", lambda *args: hooks_installed.append(args))
    assert Client().get("/api/v1/me", HTTP_AUTHORIZATION=f"Bearer {raw}").status_code == 200
    assert spans.get_finished_spans() == ()
    assert hooks_installed == []


def _server_spans(ratio: float, *, requests: int, headers: dict | None = None) -> list:
    use_tracer_provider(None)
    exporter = InMemorySpanExporter()
    provider = TracerProvider(sampler=tracing_sampler(ratio))
    provider.add_span_processor(SimpleSpanProcessor(exporter))
    use_tracer_provider(provider)
    try:
        for _ in range(requests):
            assert Client().get("/health", **(headers or {})).status_code == 200
    finally:
        use_tracer_provider(None)
    return _of_kind(exporter, SpanKind.SERVER)


def test_new_traces_are_sampled_at_the_ratio():
    assert _server_spans(0.0, requests=50) == []
    assert len(_server_spans(1.0, requests=20)) == 20
    assert 20 <= len(_server_spans(0.25, requests=400)) <= 180  # ~100; bounds far outside chance


def test_a_sampled_parent_forces_recording_and_joins_its_trace():
    spans = _server_spans(0.0, requests=5, headers={"HTTP_TRACEPARENT": SAMPLED_PARENT})
    assert len(spans) == 5
    assert {format(span.context.trace_id, "032x") for span in spans} == {"0af7651916cd43dd8448eb211c80319c"}
    assert {format(span.parent.span_id, "016x") for span in spans} == {"b7ad6b7169203331"}
    assert all(span.parent.is_remote for span in spans)


def test_an_unsampled_parent_is_followed():
    assert _server_spans(1.0, requests=5, headers={"HTTP_TRACEPARENT": UNSAMPLED_PARENT}) == []


def test_a_malformed_traceparent_starts_a_new_trace():
    [span] = _server_spans(1.0, requests=1, headers={"HTTP_TRACEPARENT": "not-a-traceparent"})
    assert span.parent is None


def test_the_ratio_must_be_a_probability():
    with pytest.raises(ValueError):
        tracing_sampler(1.5)
