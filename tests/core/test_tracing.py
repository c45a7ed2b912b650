import pytest
from django.test import Client
from opentelemetry.instrumentation.django import DjangoInstrumentor
from opentelemetry.sdk.trace import TracerProvider
from opentelemetry.sdk.trace.export import SimpleSpanProcessor
from opentelemetry.sdk.trace.export.in_memory_span_exporter import InMemorySpanExporter


@pytest.fixture
def spans():
    exporter = InMemorySpanExporter()
    provider = TracerProvider()
    provider.add_span_processor(SimpleSpanProcessor(exporter))
    DjangoInstrumentor().instrument(tracer_provider=provider)
    try:
        yield exporter
    finally:
        DjangoInstrumentor().uninstrument()


@pytest.mark.django_db
def test_request_span_carries_the_request_id(spans):
    response = Client().get("/health/ready", HTTP_X_REQUEST_ID="trace-42")
    assert response.status_code == 200
    server_spans = [span for span in spans.get_finished_spans() if span.kind.name == "SERVER"]
    assert len(server_spans) == 1
    assert server_spans[0].attributes["request_id"] == "trace-42"
    assert server_spans[0].attributes["http.status_code"] == 200 or server_spans[0].attributes.get("http.response.status_code") == 200


def _sampled_spans(ratio: float, *, requests: int = 200, headers: dict | None = None) -> list:
    from core.tracing import tracing_sampler

    exporter = InMemorySpanExporter()
    provider = TracerProvider(sampler=tracing_sampler(ratio))
    provider.add_span_processor(SimpleSpanProcessor(exporter))
    DjangoInstrumentor().instrument(tracer_provider=provider)
    try:
        for _ in range(requests):
            assert Client().get("/health", **(headers or {})).status_code == 200
    finally:
        DjangoInstrumentor().uninstrument()
    return [span for span in exporter.get_finished_spans() if span.kind.name == "SERVER"]


def test_new_traces_are_sampled_at_the_ratio():
    assert _sampled_spans(0.0) == []
    assert len(_sampled_spans(1.0, requests=20)) == 20
    assert 20 <= len(_sampled_spans(0.25, requests=400)) <= 180  # ~100; bounds far outside chance


def test_a_callers_sampling_decision_is_followed():
    sampled = {"HTTP_TRACEPARENT": "00-0af7651916cd43dd8448eb211c80319c-b7ad6b7169203331-01"}
    not_sampled = {"HTTP_TRACEPARENT": "00-0af7651916cd43dd8448eb211c80319c-b7ad6b7169203331-00"}
    assert len(_sampled_spans(0.0, requests=5, headers=sampled)) == 5
    assert _sampled_spans(1.0, requests=5, headers=not_sampled) == []


def test_the_ratio_must_be_a_probability():
    from core.tracing import tracing_sampler

    with pytest.raises(ValueError):
        tracing_sampler(1.5)
