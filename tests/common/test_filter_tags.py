"""{% filter_field %} and {% filter_errors %} (common/templatetags/misfire.py) write what the
templates includes/filter_field.html and incidents/partials/filter_errors.html wrote."""

from django import forms
from django.template import engines

from common.forms import FormRenderer


class Filters(forms.Form):
    default_renderer = FormRenderer

    kind = forms.ChoiceField(label="Kind <&>", required=False,
                             choices=[("", "Any"), ("a", "A & B")])
    start = forms.DateField(label="From", required=False)

    def clean(self):
        cleaned = super().clean()
        if cleaned.get("start"):
            self.add_error("start", 'Not "this" <date>.')
            self.add_error("start", "And another.")
        return cleaned


# The templates as they were, filter_errors.html included in filter_field.html.
ERRORS_TEMPLATE = (
    "{# A filter field's errors. #}\n"
    '<div class="filter-errors" id="{{ field.auto_id }}_errors"'
    '{% if oob %} hx-swap-oob="true"{% endif %}>{% if field.errors %}'
    '<ul class="errorlist" id="{{ field.auto_id }}_error" role="alert">'
    "{% for e in field.errors %}<li>{{ e }}</li>{% endfor %}</ul>{% endif %}</div>\n")
FIELD_TEMPLATE = (
    '<div class="field{% if field.errors %} has-error{% endif %}">\n'
    '  <label for="{{ field.id_for_label }}">{{ field.label }}</label>{{ field }}\n'
    "  " + ERRORS_TEMPLATE + "\n"
    "</div>\n")


def render(text: str, form: forms.Form, **context) -> str:
    return engines["django"].from_string(text).render({"form": form, **context})


def test_a_filter_field_without_errors():
    form = Filters({"kind": "a"})
    assert render("{% filter_field form.kind %}", form) == (
        '<div class="field">\n'
        '  <label for="id_kind">Kind &lt;&amp;&gt;</label><select name="kind" id="id_kind">\n'
        '  <option value="">Any</option>\n\n'
        '  <option value="a" selected>A &amp; B</option>\n\n'
        "</select>\n"
        '  \n<div class="filter-errors" id="id_kind_errors"></div>\n\n'
        "</div>\n")


def test_a_filter_field_with_its_errors_escaped():
    form = Filters({"start": "2026-01-02"})
    assert render("{% filter_field form.start %}", form) == (
        '<div class="field has-error">\n'
        '  <label for="id_start">From</label><input type="text" name="start" '
        'value="2026-01-02" aria-invalid="true" aria-describedby="id_start_error" '
        'id="id_start">\n'
        '  \n<div class="filter-errors" id="id_start_errors"><ul class="errorlist" '
        'id="id_start_error" role="alert"><li>Not &quot;this&quot; &lt;date&gt;.</li>'
        "<li>And another.</li></ul></div>\n\n"
        "</div>\n")


def test_filter_errors_out_of_band():
    form = Filters({"start": "2026-01-02"})
    assert render("{% filter_errors form.start oob=True %}|{% filter_errors form.kind %}",
                  form) == (
        '\n<div class="filter-errors" id="id_start_errors" hx-swap-oob="true"><ul '
        'class="errorlist" id="id_start_error" role="alert"><li>Not &quot;this&quot; '
        "&lt;date&gt;.</li><li>And another.</li></ul></div>\n"
        '|\n<div class="filter-errors" id="id_kind_errors"></div>\n')


def test_the_tags_write_what_the_templates_wrote():
    for data in ({}, {"kind": "a"}, {"kind": "nope"}, {"start": "2026-01-02"},
                 {"start": "not a date"}):
        form = Filters(data)
        for name in form.fields:
            field = form[name]
            assert render("{% filter_field field %}", form, field=field) == render(
                FIELD_TEMPLATE, form, field=field)
            for oob in (False, True):
                assert render("{% filter_errors field oob=oob %}", form, field=field,
                              oob=oob) == render(ERRORS_TEMPLATE, form, field=field, oob=oob)
