from core.metrics import counter, histogram

PROBE_SPINS = counter("royale_fingerprint_probe_spins_total", "Probe spins committed by campaigns", ("engine_kind",))
PROBE_CHUNKS = counter("royale_fingerprint_chunks_total", "Campaign chunks by outcome", ("outcome",))
CHUNK_SECONDS = histogram("royale_fingerprint_chunk_seconds", "Wall time of one campaign chunk (probe + commit)",
                          buckets=(0.01, 0.05, 0.1, 0.25, 0.5, 1, 2, 5, 10, 30, 60, 120))
MATCHES = counter("royale_fingerprint_matches_total", "Fingerprint matches by verdict", ("verdict",))
