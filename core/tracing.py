"""OpenTelemetry: traces of Django and psycopg, exported over OTLP when an endpoint is configured."""
import logging

from opentelemetry import trace

logger = logging.getLogger(__name__)
_configured = False


def tag_current_span(key: str, value: str) -> None:
    span = trace.get_current_span()
    if span.is_recording():
        span.set_attribute(key, value)


def tracing_sampler(ratio: float):
    """Parent-based ratio sampling: a request whose caller sent a sampled `traceparent` is traced, one whose
    caller decided against is not, and a request that starts a trace is traced with probability `ratio`
    (decided from the trace id, so every service of one trace decides the same). Unsampled requests still get
    a trace id for propagation but record nothing, which is what keeps tracing cheap on the hot path."""
    from opentelemetry.sdk.trace.sampling import ParentBased, TraceIdRatioBased

    if not 0.0 <= ratio <= 1.0:
        raise ValueError("the trace sampling ratio must be between 0 and 1")
    return ParentBased(root=TraceIdRatioBased(ratio))


def configure_tracing(*, endpoint: str, service_name: str, sample_ratio: float) -> bool:
    """Install the tracer provider (sampled: see tracing_sampler) and instrumentations once; a no-op without
    an endpoint."""
    global _configured
    if _configured or not endpoint:
        return False
    from opentelemetry.exporter.otlp.proto.http.trace_exporter import OTLPSpanExporter
    from opentelemetry.instrumentation.django import DjangoInstrumentor
    from opentelemetry.instrumentation.psycopg import PsycopgInstrumentor
    from opentelemetry.sdk.resources import Resource
    from opentelemetry.sdk.trace import TracerProvider
    from opentelemetry.sdk.trace.export import BatchSpanProcessor

    provider = TracerProvider(resource=Resource.create({"service.name": service_name}),
                              sampler=tracing_sampler(sample_ratio))
    provider.add_span_processor(BatchSpanProcessor(OTLPSpanExporter(endpoint=endpoint.rstrip("/") + "/v1/traces")))
    trace.set_tracer_provider(provider)
    DjangoInstrumentor().instrument()
    PsycopgInstrumentor().instrument(enable_commenter=False)
    _configured = True
    logger.info("tracing enabled", extra={"otlp_endpoint": endpoint, "sample_ratio": sample_ratio})
    return True
