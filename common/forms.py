"""How forms render: one field template for every form, and the commonest widgets written out
in Python.

Django renders each `<input>`, `<select>` and each of a select's `<option>`s through the
template engine, three template renders per option. On a list page's filter form that was a
quarter of the page's time. `FormRenderer.render` writes those few templates' exact output in
Python instead (tests/common/test_form_renderer.py renders every widget of every form both
ways and compares), and leaves every other template, and any project override of these, to
the engine.
"""

from django import forms
from django.forms.models import ModelChoiceIterator
from django.forms.renderers import TemplatesSetting
from django.template.loader import get_template
from django.utils.formats import localize
from django.utils.html import conditional_escape
from django.utils.safestring import SafeString, mark_safe
from django.utils.timezone import template_localtime
from django.utils.translation import get_language

WIDGETS = "django/forms/widgets/"
# Templates that are `{% include "django/forms/widgets/input.html" %}` and nothing else.
INPUT_TEMPLATES = frozenset(
    f"{WIDGETS}{name}.html" for name in (
        "input", "text", "search", "email", "url", "tel", "number", "password", "hidden",
        "date", "time", "datetime", "color", "checkbox",
    )
)
INPUT = f"{WIDGETS}input.html"
SELECT = f"{WIDGETS}select.html"
SELECT_OPTION = f"{WIDGETS}select_option.html"
TEXTAREA = f"{WIDGETS}textarea.html"
# What those include; the Python versions are exact only while all of these are Django's own.
INCLUDED = (f"{WIDGETS}attrs.html", INPUT, SELECT_OPTION)


def _formatted(value) -> str:
    """`{{ value|stringformat:'s' }}` with autoescape: text as is when already safe."""
    if isinstance(value, tuple):
        value = str(value)
    return conditional_escape(value if isinstance(value, SafeString) else f"{value}")


def _shown(value) -> str:
    """`{{ value }}` with autoescape: dates in the current time zone, numbers localised."""
    value = localize(template_localtime(value))
    return conditional_escape(value if isinstance(value, str) else str(value))


def _attrs(attrs: dict) -> str:
    """django/forms/widgets/attrs.html."""
    return "".join(
        f" {conditional_escape(name)}" if value is True
        else f' {conditional_escape(name)}="{_formatted(value)}"'
        for name, value in attrs.items() if value is not False
    )


def _input(widget: dict) -> str:
    value = widget["value"]
    shown = f' value="{_formatted(value)}"' if value is not None else ""
    return (f'<input type="{_shown(widget["type"])}" name="{_shown(widget["name"])}"'
            f'{shown}{_attrs(widget["attrs"])}>')


def _option(option: dict) -> str:
    return (f'<option value="{_formatted(option["value"])}"{_attrs(option["attrs"])}>'
            f'{_shown(option["label"])}</option>\n')


def _select(widget: dict) -> str | None:
    parts = [f'<select name="{_shown(widget["name"])}"{_attrs(widget["attrs"])}>']
    for group_name, group_choices, _index in widget["optgroups"]:
        if group_name:
            parts.append(f'\n  <optgroup label="{_shown(group_name)}">')
        for option in group_choices:
            if option["template_name"] != SELECT_OPTION:
                return None
            parts.append(f"\n  {_option(option)}")
        if group_name:
            parts.append("\n  </optgroup>")
    parts.append("\n</select>")
    return "".join(parts)


def _textarea(widget: dict) -> str:
    value = widget["value"]
    return (f'<textarea name="{_shown(widget["name"])}"{_attrs(widget["attrs"])}>\n'
            f'{_shown(value) if value else ""}</textarea>')


class FormRenderer(TemplatesSetting):
    """Every form field renders through one template: label, input, help and errors beside it.
    Plain inputs, selects and text areas are written out in Python (see the module)."""

    field_template_name = "includes/field.html"

    def __init__(self):
        super().__init__()
        self._is_djangos: dict[str, bool] = {}

    def render(self, template_name, context, request=None):
        if self._from_django(template_name):
            html = self._in_python(template_name, context["widget"])
            if html is not None:
                return mark_safe(html)  # noqa: S308 - every value escaped as the engine does
        return super().render(template_name, context, request=request)

    def _in_python(self, template_name: str, widget: dict) -> str | None:
        # As the engine's output, stripped (BaseRenderer.render); an option, included in the
        # select's template, keeps its template's closing new line.
        if template_name in INPUT_TEMPLATES:
            return _input(widget)
        if template_name == SELECT:
            return _select(widget)
        if template_name == TEXTAREA:
            return _textarea(widget)
        return None

    def _from_django(self, template_name: str) -> bool:
        """Whether the template is Django's own (not overridden by the project): only then
        is the Python version its exact equal."""
        known = self._is_djangos.get(template_name)
        if known is None:
            known = (
                (template_name in INPUT_TEMPLATES or template_name in (SELECT, TEXTAREA))
                and all(_is_djangos(name) for name in (template_name, *INCLUDED))
            )
            self._is_djangos[template_name] = known
        return known


def _is_djangos(template_name: str) -> bool:
    origin = get_template(template_name).origin.name.replace("\\", "/")
    return "/django/forms/templates/" in origin


def _choices_key(choices) -> tuple:
    """The choices as a key: each value and label with its type (a safe label renders
    unescaped, yet equals its plain text), groups as nested keys."""
    key = []
    for value, label in choices:
        if isinstance(label, list | tuple):
            label = _choices_key(label)
        key.append((type(value), value, type(label), label))
    return tuple(key)


class RememberedSelect(forms.Select):
    """A select whose HTML is made once per process for each name, value, attributes and
    choices, and then reused: a list page's filter form shows the same few selects on every
    request, and making each option (Django builds a dict of attributes for every one) was
    most of the form's time.

    The key holds everything the HTML depends on, the active language too (a lazy label),
    so a hit is exactly what rendering would give. Choices read from the database
    (a ModelChoiceField's) are read on every render, once, as rendering would read them,
    and are part of the key: a row added, renamed or removed shows at once. Choices that
    cannot be a key are rendered every time. The remembered HTML is bounded: past
    RENDERED_LIMIT entries (values typed by hand) it starts again."""

    RENDERED_LIMIT = 1000
    _rendered: dict = {}

    def render(self, name, value, attrs=None, renderer=None):
        declared = self.choices
        # iter(): list() of the iterator itself would count the rows first (a second query).
        choices = (list(iter(declared)) if isinstance(declared, ModelChoiceIterator)
                   else declared)
        try:
            key = (type(self), name, tuple(self.format_value(value)),
                   tuple(sorted(self.attrs.items())), tuple(sorted((attrs or {}).items())),
                   _choices_key(choices), renderer, get_language())
            html = self._rendered.get(key)
        except TypeError:  # unhashable attributes or choices
            key, html = None, None
        if html is None:
            self.choices = choices  # the rows just read, not a second query
            try:
                html = super().render(name, value, attrs, renderer)
            finally:
                self.choices = declared
            if key is not None:
                if len(self._rendered) >= self.RENDERED_LIMIT:
                    self._rendered.clear()
                self._rendered[key] = html
        return html
