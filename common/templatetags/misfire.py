"""Template helpers shared by every app's pages."""

from django import template
from django.conf import settings
from django.core.signals import setting_changed
from django.dispatch import receiver
from django.template import defaulttags
from django.template.defaulttags import URLNode
from django.urls import get_script_prefix, get_urlconf
from django.utils.html import conditional_escape
from django.utils.safestring import SafeString, mark_safe
from django.utils.translation import get_language

from common.markdown import render_markdown

register = template.Library()


@register.filter(name="markdown")
def markdown_filter(text: str) -> SafeString:
    return render_markdown(text)


# A list's filter fields, as the templates includes/filter_field.html and
# incidents/partials/filter_errors.html wrote them: in Python, since a list page shows a dozen
# and the engine's include and look-ups (each of a field's attributes found after a failed
# item look-up) cost more than the field's own HTML.

def _errors_html(field, errors, *, oob: bool) -> str:
    auto_id = conditional_escape(field.auto_id)
    shown = ""
    if errors:
        items = "".join(f"<li>{conditional_escape(error)}</li>" for error in errors)
        shown = f'<ul class="errorlist" id="{auto_id}_error" role="alert">{items}</ul>'
    swap = ' hx-swap-oob="true"' if oob else ""
    return f'\n<div class="filter-errors" id="{auto_id}_errors"{swap}>{shown}</div>\n'


@register.simple_tag
def filter_errors(field, oob: bool = False) -> SafeString:
    """A filter field's errors. The results partial sends them again out of band (oob=True),
    so that a filter changed in place gets its message beside the field."""
    return mark_safe(_errors_html(field, field.errors, oob=oob))  # noqa: S308 - escaped


@register.simple_tag
def filter_field(field) -> SafeString:
    """A filter field: its label, its input and its errors (filter_errors)."""
    errors = field.errors
    return mark_safe(  # noqa: S308 - every value escaped as the template engine does
        f'<div class="field{" has-error" if errors else ""}">\n'
        f'  <label for="{conditional_escape(field.id_for_label)}">'
        f"{conditional_escape(field.label)}</label>{conditional_escape(str(field))}\n"
        f"  {_errors_html(field, errors, oob=False)}\n"
        f"</div>\n")


class _URLNode(URLNode):
    """{% url %}, with the address of a route that takes no arguments (a page's menu links)
    reversed once per process for each script prefix, URLconf, language and current app,
    then reused: reverse() took about a tenth of a millisecond, nine times for every page's
    header. With arguments, or `as var`, it is Django's own."""

    LIMIT = 1000
    _reversed: dict = {}

    def render(self, context):
        if self.args or self.kwargs or self.asvar:
            return super().render(context)
        request = getattr(context, "request", None)
        try:
            current_app = request.current_app
        except AttributeError:
            try:
                current_app = request.resolver_match.namespace
            except AttributeError:
                current_app = None
        key = (self.view_name.resolve(context), current_app, context.autoescape,
               get_script_prefix(), get_urlconf(), settings.ROOT_URLCONF, get_language())
        url = self._reversed.get(key)
        if url is None:
            url = super().render(context)  # NoReverseMatch raised as before
            if len(self._reversed) >= self.LIMIT:
                self._reversed.clear()
            self._reversed[key] = url
        return url


@register.tag
def url(parser, token):
    """Django's {% url %} (same syntax and result), cached where it can be: _URLNode."""
    node = defaulttags.url(parser, token)
    node.__class__ = _URLNode
    return node


@receiver(setting_changed)
def _forget_addresses(**kwargs):
    # A test's URLconf or prefix: the addresses are reversed again, as Django's caches are.
    _URLNode._reversed.clear()
