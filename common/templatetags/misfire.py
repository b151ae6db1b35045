"""Template helpers shared by every app's pages."""

from django import template
from django.utils.html import conditional_escape
from django.utils.safestring import SafeString, mark_safe

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
