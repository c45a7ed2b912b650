"""Domain metrics. Later apps register their counters here so `/metrics` shows one namespace."""
from prometheus_client import Counter, Histogram

API_ERRORS = Counter("royale_api_errors_total", "Structured API errors by code", ["code"])
IDEMPOTENT_REPLAYS = Counter("royale_idempotent_replays_total", "Responses replayed for a repeated Idempotency-Key")
RATE_LIMITED = Counter("royale_rate_limited_total", "Requests refused by the rate limiter", ["scope"])


def counter(name: str, documentation: str, labels: tuple[str, ...] = ()) -> Counter:
    return Counter(name, documentation, list(labels))


def histogram(name: str, documentation: str, labels: tuple[str, ...] = (), buckets=Histogram.DEFAULT_BUCKETS) -> Histogram:
    return Histogram(name, documentation, list(labels), buckets=buckets)
