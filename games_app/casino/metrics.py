from core.metrics import counter

A2A_REQUESTS = counter("royale_a2a_casino_requests_total",
                       "A2A casino requests by action and outcome code (ok, or the error code)",
                       ("action", "outcome", "transport"))
A2A_REPLAYS = counter("royale_a2a_casino_replays_total", "A2A casino responses replayed for a repeated key",
                      ("action",))
COMMITS_EXPIRED = counter("royale_a2a_casino_commits_expired_total", "Pending commits expired by the beat task")
LOTTO_DRAWS = counter("royale_a2a_casino_lotto_draws_total", "Lotto draws drawn")
