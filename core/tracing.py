"""OpenTelemetry: traces of Django and psycopg, exported over OTLP when an endpoint is configured."""
import logging

from opentelemetry import trace

logger = logging.getLogger(__name__)
_configured = False


def tag_current_span(key: str, value: str) -> None:
    span = trace.get_current_span()
    if span.is_recording():
        span.set_attribute(key, value)


def configure_tracing(*, endpoint: str, service_name: str) -> bool:
    """Install the tracer provider and instrumentations once; a no-op without an endpoint."""
    global _configured
    if _configured or not endpoint:
        return False
    from opentelemetry.exporter.otlp.proto.http.trace_exporter import OTLPSpanExporter
    from opentelemetry.instrumentation.django import DjangoInstrumentor
    from opentelemetry.instrumentation.psycopg import PsycopgInstrumentor
    from opentelemetry.sdk.resources import Resource
    from opentelemetry.sdk.trace import TracerProvider
    from opentelemetry.sdk.trace.export import BatchSpanProcessor

    provider = TracerProvider(resource=Resource.create({"service.name": service_name}))
    provider.add_span_processor(BatchSpanProcessor(OTLPSpanExporter(endpoint=endpoint.rstrip("/") + "/v1/traces")))
    trace.set_tracer_provider(provider)
    DjangoInstrumentor().instrument()
    PsycopgInstrumentor().instrument(enable_commenter=False)
    _configured = True
    logger.info("tracing enabled", extra={"otlp_endpoint": endpoint})
    return True
