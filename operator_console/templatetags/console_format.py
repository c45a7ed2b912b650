from django import template

from core.formatting import count_text, money_text, percent_text

register = template.Library()

register.filter("money", money_text)
register.filter("percent", percent_text)
register.filter("count", count_text)
