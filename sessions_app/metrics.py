from core.metrics import counter, histogram

SPINS = counter("royale_spins_total", "Spins resolved", ("game",))
WAGERED = counter("royale_wagered_total", "Stakes wagered (currency units)", ("game",))
PAYOUT = counter("royale_payout_total", "Payouts credited (currency units)", ("game",))
ACTION_LATENCY = histogram("royale_session_action_seconds", "Gameplay action latency", ("action",),
                           buckets=(0.001, 0.0025, 0.005, 0.01, 0.025, 0.05, 0.1, 0.25, 0.5, 1, 2.5))
