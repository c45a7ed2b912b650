from core.metrics import counter

WEBHOOK_ATTEMPTS = counter("royale_rl_webhook_attempts_total", "Webhook delivery attempts by event and outcome",
                           ("event", "outcome"))
EXPORTED_STEPS = counter("royale_rl_exported_steps_total", "Experience steps written by export_traces", ("format",))
