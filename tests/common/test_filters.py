"""The list filtersets are built cheaply (common.filters.ArchivableListFilter): one form class
per filterset class, filters and fields copied shallowly. What one reader's filterset was
given must never reach the next reader's, in either order."""

import pytest
from django.http import QueryDict

from api.incidents.filters import IncidentApiFilter
from incidents.filters import IncidentFilter
from incidents.models import Incident
from learnings.filters import ActionItemFilter

from ..factories import IncidentFactory, OrganizationFactory

pytestmark = pytest.mark.django_db


def filterset(user, query: str, filterset_class=IncidentFilter):
    return filterset_class(QueryDict(query), Incident.objects.for_user(user), user=user)


def test_one_readers_organisations_never_reach_the_next_readers_filter(
        team, member, outsider):
    IncidentFactory(team=team, visibility="team",
                    organization=OrganizationFactory(name="Hidden Co", slug="hidden-co"))
    # Outsider first, member next, outsider again: the form class is made once, and each
    # filterset's form takes its own reader's organisations.
    for reader, valid in ((outsider, False), (member, True), (outsider, False)):
        found = filterset(reader, "organization=hidden-co")
        assert found.is_valid() is valid
        if valid:
            assert found.form.cleaned_data["organization"].slug == "hidden-co"
        else:
            assert list(found.errors) == ["organization"]


def test_a_filter_method_works_for_its_own_filterset(team, other_team, member, outsider):
    ours = IncidentFactory(team=team, visibility="team", title="Ours only")
    theirs = IncidentFactory(team=other_team, visibility="team", title="Theirs only")
    # visibility=team is filter_visibility, which reads the filterset's reader: each copy of
    # the filter must call its own filterset's method, not the first one's.
    for reader, expected in ((member, [ours]), (outsider, [theirs]), (member, [ours])):
        found = filterset(reader, "visibility=team")
        assert found.is_valid()
        assert list(found.qs) == expected


def test_a_forms_changes_to_its_fields_stay_in_that_form(member):
    first = filterset(member, "severity=high").form
    first.fields["severity"].widget.attrs["data-x"] = "changed"
    first.fields["severity"].error_messages["invalid_choice"] = "changed"
    first.fields["severity"].validators.append(lambda value: None)
    second = filterset(member, "severity=high").form
    assert "data-x" not in second.fields["severity"].widget.attrs
    assert second.fields["severity"].error_messages["invalid_choice"] != "changed"
    assert second.fields["severity"].validators == []
    assert second.fields["severity"] is not first.fields["severity"]


def test_the_declared_filters_are_left_as_declared(member, outsider):
    declared = IncidentApiFilter.base_filters["team"]
    filterset(member, "team=comms", IncidentApiFilter).is_valid()
    filterset(outsider, "", IncidentApiFilter).is_valid()
    assert declared.queryset.query.is_empty()
    assert "_field" not in declared.__dict__


def test_each_filterset_class_has_a_form_class_of_its_own(member):
    incident_form = filterset(member, "").form
    api_form = filterset(member, "", IncidentApiFilter).form
    items_form = ActionItemFilter(QueryDict(""), user=member).form
    assert type(incident_form) is not type(api_form)
    assert "ordering" in api_form.fields
    assert "ordering" not in incident_form.fields
    assert set(items_form.fields) >= {"learning", "owner"}
    assert type(filterset(member, "").form) is type(incident_form)
