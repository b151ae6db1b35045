"""common.forms.FormRenderer writes Django's commonest widget templates out in Python. Its
output must be exactly the template engine's: widget by widget over awkward values, and page
by page over every form the app shows."""

import re
from datetime import date, datetime, time

import pytest
from django import forms
from django.forms.renderers import TemplatesSetting
from django.test import override_settings
from django.urls import reverse
from django.utils.safestring import mark_safe
from django.utils.translation import gettext_lazy

from common.forms import FormRenderer, RememberedSelect


class EngineRenderer(TemplatesSetting):
    """The same renderer with every widget left to the template engine."""

    field_template_name = FormRenderer.field_template_name


AWKWARD_TEXT = ['<b>"Tom" & \'Jerry\'</b>', mark_safe("<i>safe</i>"), "", "  spaced  ", "é ✓"]
CHOICES = [("", "Any"), ("a&b", "A & <b>"), (3, 3), ("x", gettext_lazy("Lazy")),
           ("Group", [("g1", "One"), ("g2", mark_safe("<em>Two</em>"))])]
ATTRS = {"id": "id_f", "class": 'c"q', "required": True, "disabled": False,
         "data-n": 0, "aria-describedby": "id_f_helptext", "placeholder": "<p>"}

WIDGETS = [
    *[(forms.TextInput(attrs=ATTRS), value) for value in [*AWKWARD_TEXT, None, 12, 1.5]],
    (forms.TextInput(attrs={"type": "search"}), "q"),
    (forms.EmailInput(), "a@b.c"),
    (forms.URLInput(), "https://x.example/?a=1&b=<2>"),
    (forms.NumberInput(attrs={"min": 0, "step": 0.5}), 3),
    (forms.PasswordInput(render_value=True), "s<e>cret"),
    (forms.PasswordInput(), "not shown"),
    (forms.HiddenInput(), "hidden&"),
    (forms.DateInput(attrs={"type": "date"}, format="%Y-%m-%d"), date(2026, 11, 22)),
    (forms.DateInput(), "not a date"),
    (forms.TimeInput(), time(9, 30)),
    (forms.DateTimeInput(), datetime(2026, 11, 22, 9, 30)),
    (forms.CheckboxInput(), True),
    (forms.CheckboxInput(), False),
    (forms.CheckboxInput(attrs={"class": "x"}), "on"),
    *[(forms.Textarea(attrs=ATTRS), value) for value in [*AWKWARD_TEXT, None, "\nleading"]],
    *[(forms.Select(choices=CHOICES, attrs=ATTRS), value)
      for value in ["", "a&b", 3, "3", "g2", None, "missing"]],
    (forms.SelectMultiple(choices=CHOICES), ["a&b", "g1"]),
    (forms.NullBooleanSelect(), None),
    (forms.NullBooleanSelect(), True),
    (forms.Select(choices=[]), None),
]


@pytest.mark.parametrize(("widget", "value"), WIDGETS,
                         ids=[f"{type(w).__name__}-{i}" for i, (w, _) in enumerate(WIDGETS)])
def test_each_widget_renders_exactly_as_the_template_engine(widget, value):
    html = widget.render("field<&>", value, attrs={"id": "id_field"}, renderer=FormRenderer())
    assert html == widget.render("field<&>", value, attrs={"id": "id_field"},
                                 renderer=EngineRenderer())
    assert html.startswith(("<input", "<select", "<textarea"))


def test_an_overridden_widget_template_is_left_to_the_engine(tmp_path, settings):
    override = tmp_path / "django" / "forms" / "widgets"
    override.mkdir(parents=True)
    (override / "select_option.html").write_text("<option>{{ widget.label }}!</option>")
    templates = [{**settings.TEMPLATES[0], "DIRS": [tmp_path, *settings.TEMPLATES[0]["DIRS"]]}]
    with override_settings(TEMPLATES=templates):
        html = forms.Select(choices=[("a", "A")]).render("f", "a", renderer=FormRenderer())
        text = forms.TextInput().render("t", "v", renderer=FormRenderer())
    assert html == '<select name="f">\n  <option>A!</option>\n</select>'
    # An input includes none of the overridden files: still written out in Python.
    assert text == '<input type="text" name="t" value="v">'


@pytest.mark.parametrize("value", ["", "a&b", 3, "3", "g2", None, "missing"])
@pytest.mark.parametrize("renderer", [FormRenderer(), EngineRenderer()],
                         ids=["python", "engine"])
def test_a_remembered_select_renders_as_a_select_every_time(value, renderer):
    fixed = RememberedSelect(choices=CHOICES, attrs=ATTRS)
    plain = forms.Select(choices=CHOICES, attrs=ATTRS)
    expected = plain.render("f", value, attrs={"id": "id_f"}, renderer=renderer)
    for _ in range(2):  # made, then remembered
        assert fixed.render("f", value, attrs={"id": "id_f"}, renderer=renderer) == expected
    assert fixed.render("f", value, attrs={"id": "id_f", "aria-invalid": "true"},
                        renderer=renderer) == plain.render(
        "f", value, attrs={"id": "id_f", "aria-invalid": "true"}, renderer=renderer)


def test_a_remembered_select_tells_safe_labels_from_plain_text():
    renderer = FormRenderer()
    plain = RememberedSelect(choices=[("a", "<b>")]).render("f", "a", renderer=renderer)
    safe = RememberedSelect(choices=[("a", mark_safe("<b>"))]).render(
        "f", "a", renderer=renderer)
    assert "&lt;b&gt;" in plain
    assert "<b>" in safe


@pytest.mark.django_db
def test_a_remembered_select_of_a_models_rows_shows_them_as_they_are_now(
        django_assert_num_queries):
    from incidents.models import RootCause

    field = forms.ModelChoiceField(queryset=RootCause.objects.order_by("code"),
                                   to_field_name="slug", widget=RememberedSelect)
    plain = forms.ModelChoiceField(queryset=RootCause.objects.order_by("code"),
                                   to_field_name="slug")
    expected = plain.widget.render("cause", "", renderer=FormRenderer())
    for _ in range(2):
        with django_assert_num_queries(1):  # its rows read once, as Select reads them
            before = field.widget.render("cause", "", renderer=FormRenderer())
        assert before == expected
    RootCause.objects.create(code="zz-new", slug="zz-new", name="Brand new cause")
    after = field.widget.render("cause", "", renderer=FormRenderer())
    assert "Brand new cause" not in before
    assert "Brand new cause" in after
    assert after == plain.widget.render("cause", "", renderer=FormRenderer())


def test_remembered_selects_are_bounded(monkeypatch):
    monkeypatch.setattr(RememberedSelect, "_rendered", {})
    monkeypatch.setattr(RememberedSelect, "RENDERED_LIMIT", 3)
    widget = RememberedSelect(choices=[("a", "A")])
    for value in ("typed 1", "typed 2", "typed 3", "typed 4", "typed 5"):
        widget.render("f", value, renderer=FormRenderer())
        assert len(RememberedSelect._rendered) <= 3


# Made anew for every page: the CSRF token (masked afresh) and a new form's idempotency key.
PER_RENDER = re.compile(
    r'(csrfmiddlewaretoken" value="|"X-CSRFToken": "|idempotency_key" value=")[^"]+')

FORM_PAGES = [
    ("incidents:incident-list", {}, "?q=<b>&sort=-severity&origin=own&occurred_after=2026-01-01"),
    ("incidents:incident-list", {}, "?platform=nope&occurred_after=2026-02-01"
                                    "&occurred_before=2026-01-01"),
    ("incidents:library", {}, ""),
    ("incidents:incident-create", {}, ""),
    ("incidents:incident-update", {"public_id": "own"}, ""),
    ("incidents:incident-detail", {"public_id": "own"}, ""),
    ("incidents:organization-list", {}, ""),
    ("learnings:learning-list", {}, "?status=draft"),
    ("learnings:learning-create", {}, ""),
    ("learnings:learning-update", {"public_id": "learning"}, ""),
    ("learnings:learning-detail", {"public_id": "learning"}, ""),
    ("learnings:action-item-mine", {}, ""),
    ("accounts:profile", {}, ""),
    ("accounts:team-settings", {"slug": "comms"}, ""),
]


@pytest.mark.parametrize(("name", "kwargs", "query"), FORM_PAGES,
                         ids=[f"{name}{query}" for name, _, query in FORM_PAGES])
def test_every_form_page_is_the_same_as_rendered_by_the_engine(world, client, name, kwargs,
                                                               query):
    objects = {"own": world.incidents["own"].public_id,
               "learning": world.learnings["comms"].public_id}
    url = reverse(name, kwargs={key: objects.get(value, value)
                                for key, value in kwargs.items()}) + query
    client.force_login(world.people["manager"])
    pages = []
    for renderer in ("common.forms.FormRenderer", f"{__name__}.EngineRenderer"):
        with override_settings(FORM_RENDERER=renderer):
            response = client.get(url)
        assert response.status_code == 200
        pages.append(PER_RENDER.sub(r"\1…", response.content.decode()))
    assert pages[0] == pages[1]
    assert "<select" in pages[0] or "<input" in pages[0]
