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
