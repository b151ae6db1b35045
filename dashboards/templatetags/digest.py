"""Filters of the digest email: absolute links into the app."""

from django import template
from django.conf import settings

from learnings.models import Learning

register = template.Library()


@register.filter
def absolute_url(obj) -> str:
    """The object's page as a link that works from a mail client (SITE_URL + its path)."""
    return f"{settings.SITE_URL}{obj.get_absolute_url()}"


@register.filter
def is_learning(obj) -> bool:
    return isinstance(obj, Learning)
