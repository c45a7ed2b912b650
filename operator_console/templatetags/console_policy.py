from django import template

from core.policy import actor_from_user, role_allows

register = template.Library()


@register.filter
def may(user, action: str) -> bool:
    """`{% if user|may:"console.dashboard" %}`: core.policy's answer for the console login's role, the
    same one the view gives (a link is shown exactly to those the page lets in)."""
    return role_allows(actor_from_user(user), action)
