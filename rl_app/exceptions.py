from core.exceptions import DomainError


class WebhookUrlRefused(DomainError):
    code = "WEBHOOK_URL_REFUSED"
    status_code = 400
    default_message = "The webhook URL is not allowed: use a public http(s) address."


class WebhookNotFound(DomainError):
    code = "NOT_FOUND"
    status_code = 404
    default_message = "Webhook not found."


class TooManyWebhooks(DomainError):
    code = "TOO_MANY_WEBHOOKS"
    status_code = 422
    default_message = "This owner already has the maximum number of active webhooks."


class WebhookDeliveryFailed(Exception):
    """A delivery attempt failed in a way worth retrying (network error, 5xx, 429...)."""
