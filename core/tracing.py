"""OpenTelemetry: a server span per sampled request and a client span per SQL statement it runs, exported over
OTLP when an endpoint is configured.

Built for the unsampled request to cost next to nothing (it is 95% of them by default): TracingMiddleware
reads the caller's `traceparent` only when one is sent, lets the sampler decide, and for an unsampled request
does nothing more (no attributes, no context switch, no database hook). Only a recording request installs the
database hook, as a Django `execute_wrapper` on its own connections for its own duration, so statements outside
sampled requests (other requests, tasks, commands) are not wrapped at all. (The opentelemetry-instrumentation
Django and psycopg packages did this work for every request and every cursor: +18-37% CPU at 5% sampling.)
"""
import logging
from contextlib import ExitStack

from django.db import connections
from opentelemetry import propagate, trace
from opentelemetry.propagators.textmap import Getter
from opentelemetry.trace import SpanKind, Status, StatusCode

logger = logging.getLogger(__name__)
_configured = False
# None while tracing is off: the middleware then only calls through.
_tracer: trace.Tracer | None = None


def tag_current_span(key: str, value: str) -> None:
    span = trace.get_current_span()
    if span.is_recording():
        span.set_attribute(key, value)


def tracing_sampler(ratio: float):
    """Parent-based ratio sampling: a request whose caller sent a sampled `traceparent` is traced, one whose
    caller decided against is not, and a request that starts a trace is traced with probability `ratio`
    (decided from the trace id, so every service of one trace decides the same)."""
    from opentelemetry.sdk.trace.sampling import ParentBased, TraceIdRatioBased

    if not 0.0 <= ratio <= 1.0:
        raise ValueError("the trace sampling ratio must be between 0 and 1")
    return ParentBased(root=TraceIdRatioBased(ratio))


def use_tracer_provider(provider) -> None:
    """Trace requests into `provider` from now on (None: stop tracing). configure_tracing calls it; tests
    call it with an in-memory provider."""
    global _tracer
    _tracer = provider.get_tracer(__name__) if provider is not None else None


def tracer_provider(*, endpoint: str, service_name: str, sample_ratio: float):
    """A tracer provider that samples (see tracing_sampler) and exports in batches over OTLP/HTTP."""
    from opentelemetry.exporter.otlp.proto.http.trace_exporter import OTLPSpanExporter
    from opentelemetry.sdk.resources import Resource
    from opentelemetry.sdk.trace import TracerProvider
    from opentelemetry.sdk.trace.export import BatchSpanProcessor

    provider = TracerProvider(resource=Resource.create({"service.name": service_name}),
                              sampler=tracing_sampler(sample_ratio))
    provider.add_span_processor(BatchSpanProcessor(OTLPSpanExporter(endpoint=endpoint.rstrip("/") + "/v1/traces")))
    return provider


def configure_tracing(*, endpoint: str, service_name: str, sample_ratio: float) -> bool:
    """Install the tracer provider once; a no-op without an endpoint."""
    global _configured
    if _configured or not endpoint:
        return False
    provider = tracer_provider(endpoint=endpoint, service_name=service_name, sample_ratio=sample_ratio)
    trace.set_tracer_provider(provider)
    use_tracer_provider(provider)
    _configured = True
    logger.info("tracing enabled", extra={"otlp_endpoint": endpoint, "sample_ratio": sample_ratio})
    return True


class _MetaGetter(Getter):
    """Reads propagation headers (`traceparent`, `tracestate`, `baggage`) from a WSGI environ."""

    def get(self, carrier: dict, key: str) -> list[str] | None:
        value = carrier.get("HTTP_" + key.upper().replace("-", "_"))
        return [value] if value is not None else None

    def keys(self, carrier: dict) -> list[str]:
        return [key[5:].lower().replace("_", "-") for key in carrier if key.startswith("HTTP_")]


_META_GETTER = _MetaGetter()


class TracingMiddleware:
    """The server span of a request, created only when the sampler records it (see the module docstring)."""

    def __init__(self, get_response):
        self.get_response = get_response

    def __call__(self, request):
        tracer = _tracer
        if tracer is None:
            return self.get_response(request)
        parent = propagate.extract(request.META, getter=_META_GETTER) if "HTTP_TRACEPARENT" in request.META else None
        span = tracer.start_span(request.method, context=parent, kind=SpanKind.SERVER)
        if not span.is_recording():
            return self.get_response(request)
        span.set_attributes({"http.request.method": request.method, "url.path": request.path,
                             "url.scheme": request.scheme})
        with trace.use_span(span, end_on_exit=True, record_exception=True, set_status_on_exception=True), \
                ExitStack() as database_spans:
            for alias in connections:
                database_spans.enter_context(connections[alias].execute_wrapper(_DatabaseSpan(tracer, alias)))
            response = self.get_response(request)
            route = getattr(request.resolver_match, "route", None)
            if route:
                span.set_attribute("http.route", route)
                span.update_name(f"{request.method} {route}")
            span.set_attribute("http.response.status_code", response.status_code)
            if response.status_code >= 500:
                span.set_status(Status(StatusCode.ERROR))
            return response


class _DatabaseSpan:
    """A Django execute_wrapper: one client span per statement of a recording request."""

    def __init__(self, tracer: trace.Tracer, alias: str):
        self.tracer = tracer
        self.attributes = {"db.system": connections[alias].vendor, "db.name": str(connections[alias].settings_dict["NAME"])}

    def __call__(self, execute, sql, params, many, context):
        statement = sql if isinstance(sql, str) else str(sql)
        operation = statement.split(None, 1)[0].upper() if statement.strip() else "SQL"
        with self.tracer.start_as_current_span(operation, kind=SpanKind.CLIENT,
                                               attributes={**self.attributes, "db.statement": statement}):
            return execute(sql, params, many, context)
