"""The tenancy layer (accounts/tenancy.py): one door for every team-owned model, with another
team's private rows always present so that a door left open shows."""

import pytest
from django.contrib.auth.models import AnonymousUser
from django.core.exceptions import PermissionDenied
from django.db.models import Exists, OuterRef

from accounts.models import Membership, Role, Team
from accounts.tenancy import can_write, require_writer, writable_teams, writers_of
from incidents.models import Incident, Organization
from learnings.models import ActionItem, Learning
from tests.factories import IncidentFactory, MembershipFactory, OrganizationFactory, TeamFactory

TEAM_OWNED = [Incident, Organization, Learning, ActionItem]


@pytest.fixture
def rows(team, other_team, member, outsider, private_incident, library_incident,
         outsider_private_incident):
    """For each team: a private and a shared organisation and incident where the model has
    shared rows, a learning and an action item."""
    own_org = OrganizationFactory(name="Ours privately", slug="ours-privately", team=team)
    their_org = OrganizationFactory(name="Theirs privately", slug="theirs-privately",
                                    team=other_team)
    OrganizationFactory(name="Everyone's", slug="everyones")
    own_learning = Learning.objects.create(team=team, title="Ours")
    their_learning = Learning.objects.create(team=other_team, title="Theirs")
    return {
        "own": {private_incident, own_org, own_learning,
                ActionItem.objects.create(learning=own_learning, title="Our action")},
        "theirs-private": {outsider_private_incident, their_org, their_learning,
                           ActionItem.objects.create(learning=their_learning,
                                                     title="Their action")},
        # With the organisations the factories made for the incidents, shared by default.
        "shared": {library_incident, *Organization.objects.shared()},
    }


def _all(queryset_of) -> set:
    return {obj for model in TEAM_OWNED for obj in queryset_of(model)}


def test_a_person_reads_their_teams_rows_and_shared_ones_never_another_teams_private(
        rows, member):
    readable = _all(lambda model: model.objects.for_user(member))
    assert readable == rows["own"] | rows["shared"]


def test_a_team_reads_its_rows_and_shared_ones_whoever_acts(rows, team):
    assert _all(lambda model: model.objects.for_team(team)) == rows["own"] | rows["shared"]


def test_a_team_owns_its_rows_only_not_the_shared_ones_of_others(rows, team):
    assert _all(lambda model: model.objects.owned_by(team)) == rows["own"]


def test_a_person_may_write_only_their_own_teams_rows_never_shared_ones_of_others(
        rows, member, viewer):
    assert _all(lambda model: model.objects.writable_by(member)) == rows["own"]
    assert _all(lambda model: model.objects.writable_by(viewer)) == set()


def test_an_anonymous_visitor_reads_and_writes_nothing(rows):
    anonymous = AnonymousUser()
    assert _all(lambda model: model.objects.for_user(anonymous)) == set()
    assert _all(lambda model: model.objects.writable_by(anonymous)) == set()


def test_the_sql_rule_and_the_python_rule_agree_on_every_row(rows, team, other_team):
    for model in (Incident, Organization, Learning):
        for obj in model.objects.all():
            for reader in (team, other_team):
                in_sql = model.objects.for_team(reader).filter(pk=obj.pk).exists()
                assert model.tenancy.readable_by_team(obj, reader.pk) is in_sql, (obj, reader)


def test_the_rule_reads_through_a_relation_with_the_team_of_the_outer_query(
        rows, private_incident, library_incident, outsider_private_incident):
    """learnings.selectors counts a learning's links to incidents its team may read."""
    ours, theirs = Learning.objects.get(title="Ours"), Learning.objects.get(title="Theirs")
    for learning in (ours, theirs):
        learning.incidents.set([private_incident, library_incident, outsider_private_incident])
    links = Learning.incidents.through.objects.filter(
        Incident.tenancy.readable_q(OuterRef("team_id"), prefix="incident__"),
        learning_id=OuterRef("pk"))

    def learnings_counting(incident) -> set[str]:
        return set(Learning.objects.filter(Exists(links.filter(incident=incident)))
                   .values_list("title", flat=True))

    assert learnings_counting(private_incident) == {"Ours"}
    assert learnings_counting(outsider_private_incident) == {"Theirs"}
    assert learnings_counting(library_incident) == {"Ours", "Theirs"}


@pytest.mark.parametrize(("role", "writes"), [
    (Role.VIEWER, False), (Role.MEMBER, True), (Role.MANAGER, True)])
def test_members_and_managers_write_viewers_read(team, role, writes):
    membership = MembershipFactory(team=team, role=role)
    assert membership.can_write is writes
    assert can_write(membership.user, team) is writes
    assert (team in writable_teams(membership.user)) is writes
    assert (membership.user in writers_of(team)) is writes
    assert Membership.objects.filter(pk=membership.pk).writers().exists() is writes


def test_a_manager_of_another_team_may_not_write_here(team, outsider):
    assert can_write(outsider, team) is False
    assert list(writable_teams(outsider)) == [Team.objects.get(slug="elsewhere")]


def test_require_writer_refuses_with_a_message_naming_the_team(team, viewer, member):
    require_writer(member, team)  # a member passes without a word
    with pytest.raises(PermissionDenied) as refused:
        require_writer(viewer, team)
    assert str(refused.value) == "Only members and managers of Comms can change this."


def test_writable_teams_lists_each_team_once_by_name(member, team):
    later = TeamFactory(name="Another desk", slug="another-desk")
    MembershipFactory(team=later, user=member, role=Role.MANAGER)
    MembershipFactory(team=TeamFactory(name="Read only", slug="read-only"), user=member,
                      role=Role.VIEWER)
    assert [t.name for t in writable_teams(member)] == ["Another desk", "Comms"]


def test_private_organisations_of_two_teams_with_the_same_name_stay_apart(
        team, other_team, member):
    ours = OrganizationFactory(name="Acme", slug="acme-ours", team=team)
    OrganizationFactory(name="Acme", slug="acme-theirs", team=other_team)
    IncidentFactory(team=team, organization=ours)
    assert list(Organization.objects.for_user(member).filter(name="Acme")) == [ours]
