"""common.urls.object_url gives exactly reverse()'s address, under any script prefix, and
leaves anything but a UUID or a slug to reverse()."""

from uuid import UUID, uuid4

import pytest
from django.template import Context
from django.urls import NoReverseMatch, reverse, set_script_prefix

from common.urls import object_url, object_url_of


@pytest.fixture
def prefix():
    yield set_script_prefix
    set_script_prefix("/")


@pytest.mark.parametrize("script_prefix", ["/", "/misfire/", "/a b/"])
def test_same_address_as_reverse_for_uuids_and_slugs(prefix, script_prefix):
    prefix(script_prefix)
    for value in (uuid4(), UUID(int=0), UUID(int=2**128 - 1)):
        expected = reverse("incidents:incident-detail", kwargs={"public_id": value})
        assert object_url("incidents:incident-detail", "public_id", value) == expected
        assert expected.startswith(script_prefix.replace(" ", "%20"))
    for slug in ("acme", "acme-co_2", "stand-in-slug", "0"):
        assert object_url("incidents:organization-detail", "slug", slug) == reverse(
            "incidents:organization-detail", kwargs={"slug": slug})


@pytest.mark.parametrize("script_prefix", ["/", "/misfire/"])
def test_object_url_of_gives_reverses_address_for_each_id_and_its_text(prefix, script_prefix):
    prefix(script_prefix)
    detail, history = (object_url_of("incidents:incident-detail", "public_id"),
                       object_url_of("incidents:incident-history", "public_id"))
    for value in (uuid4(), uuid4(), UUID(int=0)):
        for route, made in (("incidents:incident-detail", detail),
                            ("incidents:incident-history", history)):
            expected = reverse(route, kwargs={"public_id": value})
            assert made(value) == made(str(value)) == expected


@pytest.mark.parametrize("value", ["not a slug", "é", "", "a/b"])
def test_anything_else_goes_to_reverse_which_refuses_it(value):
    with pytest.raises(NoReverseMatch):
        object_url("incidents:organization-detail", "slug", value)


def test_a_uuid_in_text_is_checked_by_reverse():
    text = str(uuid4())
    assert object_url("incidents:incident-detail", "public_id", text) == reverse(
        "incidents:incident-detail", kwargs={"public_id": text})
    with pytest.raises(NoReverseMatch):
        object_url("incidents:incident-detail", "public_id", "12345")


URL_TAGS = [
    "{% url 'incidents:library' %}",
    '{% url "incidents:incident-list" %}|{% url "accounts:profile" %}',
    "{% url 'incidents:organization-detail' 'acme' %}",
    "{% url 'incidents:organization-detail' slug=slug %}",
    "{% url 'incidents:library' as there %}[{{ there }}]",
    "{% url 'no-such-route' as there %}[{{ there }}]",
    "{% autoescape off %}{% url 'incidents:library' %}{% endautoescape %}",
]


@pytest.mark.parametrize("script_prefix", ["/", "/misfire/", "/a b/"])
@pytest.mark.parametrize("text", URL_TAGS)
def test_the_url_tag_gives_djangos_address_every_time(prefix, script_prefix, text):
    """{% url %} (common.templatetags.misfire, cached for routes without arguments) writes
    what Django's own tag writes, under any script prefix, the first time and after."""
    from django.template import Engine, engines

    prefix(script_prefix)
    ours = engines["django"].from_string(text)
    djangos = Engine(libraries={}).from_string(text)  # Django's builtins only
    context = {"slug": "acme-co_2"}
    for _ in range(2):
        assert ours.render(context) == djangos.render(Context(context))


def test_the_url_tag_still_says_when_a_route_does_not_exist():
    from django.template import engines

    with pytest.raises(NoReverseMatch):
        engines["django"].from_string("{% url 'no-such-route' %}").render({})
