"""Learning reads: tenancy, the causes a learning derives from its incidents, filters, the
incident page's learnings and precedents, and which learnings an incident repeats."""

from datetime import UTC, date, datetime, timedelta

import pytest
import time_machine
from django.contrib.auth.models import AnonymousUser
from django.http import Http404

from accounts.models import Membership, Role
from incidents.models import Incident
from incidents.selectors import incident_get
from learnings.models import ActionItem, Learning
from learnings.selectors import (
    action_item_get,
    action_item_list,
    action_item_rows,
    counted_incidents,
    incident_learning_list,
    incident_repeat_of,
    learning_causes,
    learning_draft_teams,
    learning_filterset,
    learning_get,
    learning_list,
    learning_precedents,
    learning_prefill,
    learning_rows,
    library_precedents,
    linkable_incident_search,
    visible_incidents,
)
from tests.factories import IncidentFactory, MembershipFactory, UserFactory, cause

TODAY = date(2026, 11, 10)
NOW = datetime(2026, 11, 10, 12, 0, tzinfo=UTC)


def make_learning(team, *incidents, title="Pause the queue", **fields):
    learning = Learning.objects.create(team=team, title=title, **fields)
    learning.incidents.set(incidents)
    return learning


def make_incident(team, primary="production-slip", contributing=(), **fields):
    incident = IncidentFactory(team=team, primary_cause=cause(primary), **fields)
    incident.contributing_causes.set([cause(slug) for slug in contributing])
    return incident


def listed(user, pk):
    """The learning as learning_list gives it (with its linked incidents prefetched)."""
    return learning_list(user=user).get(pk=pk)


def titles(objects) -> list[str]:
    return [obj.title for obj in objects]


def archive(obj):
    type(obj).objects.filter(pk=obj.pk).update(archived_at=NOW)


def make_private(incident):
    """The incident's team takes it out of the library."""
    Incident.objects.filter(pk=incident.pk).update(visibility="team")


# Derived causes


def test_causes_are_the_union_of_the_linked_incidents_causes_with_counts(team, member):
    first = make_incident(team, "production-slip",
                          ["automation-misfire", "defensive-response"])
    second = make_incident(team, "automation-misfire", ["defensive-response"])
    learning = make_learning(team, first, second)
    causes = [(d.cause.slug, d.incident_count, d.primary_count)
              for d in learning_causes(listed(member, learning.pk))]
    assert causes == [
        ("automation-misfire", 2, 1),
        ("defensive-response", 2, 0),
        ("production-slip", 1, 1),
    ]


def test_library_incidents_of_other_teams_shape_the_learning(team, other_team, member):
    theirs = make_incident(other_team, "account-compromise", visibility="library",
                           origin="external")
    learning = make_learning(team, theirs)
    assert [d.cause.slug for d in learning_causes(listed(member, learning.pk))] == [
        "account-compromise"]


def test_archived_incidents_no_longer_count_for_the_learning(team, member):
    kept = make_incident(team, "production-slip")
    archived = make_incident(team, "account-compromise", ["defensive-response"])
    archive(archived)
    learning = make_learning(team, kept, archived)
    shown = listed(member, learning.pk)
    assert [d.cause.slug for d in learning_causes(shown)] == ["production-slip"]
    assert counted_incidents(shown) == [kept]


def test_incident_another_team_has_since_made_private_no_longer_counts(
    team, member, other_team
):
    kept = make_incident(team, "production-slip")
    theirs = make_incident(other_team, "account-compromise", visibility="library",
                           origin="external", occurred_on=date(2026, 9, 1))
    learning = make_learning(team, kept, theirs)
    make_private(theirs)
    shown = listed(member, learning.pk)
    assert [d.cause.slug for d in learning_causes(shown)] == ["production-slip"]
    assert counted_incidents(shown) == [kept]
    assert visible_incidents(shown) == ([kept], 1)


def test_archived_incidents_are_still_visible_on_the_learning_but_not_counted(team, member):
    archived = make_incident(team)
    archive(archived)
    shown = listed(member, make_learning(team, archived).pk)
    assert visible_incidents(shown) == ([archived], 0)
    assert counted_incidents(shown) == []
    assert learning_causes(shown) == []


def test_learning_without_incidents_has_no_causes(team, member):
    assert learning_causes(listed(member, make_learning(team).pk)) == []


# Learning.objects.with_cause


def test_cause_filter_matches_primary_or_contributing_causes_of_linked_incidents(
    team, member
):
    by_primary = make_learning(team, make_incident(team, "account-compromise"),
                               title="By primary")
    by_contributing = make_learning(
        team, make_incident(team, "production-slip", ["account-compromise"]),
        title="By contributing")
    make_learning(team, make_incident(team, "production-slip"), title="Other cause")
    found = Learning.objects.with_cause(cause("account-compromise"))
    assert set(found) == {by_primary, by_contributing}


def test_cause_filter_ignores_archived_and_since_private_incidents(team, other_team, member):
    archived = make_incident(team, "account-compromise")
    archive(archived)
    theirs = make_incident(other_team, "account-compromise", visibility="library",
                           origin="external")
    make_learning(team, archived, title="Archived")
    since_private = make_learning(team, theirs, title="Since private")
    compromise = cause("account-compromise")
    assert list(Learning.objects.with_cause(compromise)) == [since_private]
    make_private(theirs)
    assert list(Learning.objects.with_cause(compromise)) == []


def test_cause_filter_lists_a_learning_once_whatever_the_number_of_matching_incidents(team):
    learning = make_learning(team, make_incident(team, "account-compromise"),
                             make_incident(team, "production-slip", ["account-compromise"]))
    found = Learning.objects.with_cause(cause("account-compromise"))
    assert list(found) == [learning]


def test_another_teams_own_incident_counts_for_that_teams_learning(other_team):
    theirs = make_incident(other_team, "account-compromise")
    learning = make_learning(other_team, theirs)
    found = Learning.objects.with_cause(cause("account-compromise"))
    assert list(found) == [learning]


# Learning.objects.drawn_from


@pytest.fixture
def drawn(team, other_team):
    own = make_incident(team, origin="own")
    external = make_incident(other_team, origin="external", visibility="library")
    archived_own = make_incident(team, origin="own")
    archive(archived_own)
    return {
        "own": make_learning(team, own, title="Own"),
        "external": make_learning(team, external, archived_own, title="External"),
        "both": make_learning(team, own, external, title="Both"),
        "none": make_learning(team, title="None"),
    }


@pytest.mark.parametrize(
    ("value", "expected"),
    [
        ("own", {"Own"}),
        ("external", {"External"}),
        ("both", {"Both"}),
        ("", {"Own", "External", "Both", "None"}),
        ("anything", {"Own", "External", "Both", "None"}),
    ],
)
def test_drawn_from_filter_tells_own_from_external_failures(drawn, value, expected):
    found = Learning.objects.drawn_from(value)
    assert set(titles(found)) == expected


def test_external_incident_made_private_no_longer_makes_a_learning_drawn_from_both(
    team, other_team, drawn
):
    make_private(drawn["both"].incidents.get(origin="external"))
    assert titles(Learning.objects.drawn_from("both")) == []
    assert set(titles(Learning.objects.drawn_from("own"))) == {
        "Own", "Both"}


# Learning.objects.search


def test_search_needs_every_word_in_title_lesson_or_practice_whatever_the_case(team):
    make_learning(team, title="Pause the queue", lesson="Scheduled posts kept going",
                  practice="Check the calendar")
    make_learning(team, title="Pause the queue", lesson="Nothing else")
    make_learning(team, title="Unrelated")
    found = Learning.objects.search("  QUEUE  scheduled calendar ")
    assert titles(found) == ["Pause the queue"]
    assert len(Learning.objects.search("pause")) == 2


def test_blank_search_changes_nothing(team):
    make_learning(team, title="One")
    make_learning(team, title="Two")
    assert Learning.objects.search("   ").count() == 2


# learning_list / learning_get


def test_learning_list_gives_the_users_teams_learnings_only(
    team, other_team, member, viewer, outsider
):
    ours = make_learning(team, title="Ours")
    theirs = make_learning(other_team, title="Theirs")
    assert list(learning_list(user=member)) == [ours]
    assert list(learning_list(user=viewer)) == [ours]
    assert list(learning_list(user=outsider)) == [theirs]
    assert list(learning_list(user=AnonymousUser())) == []


def test_learning_list_of_a_member_of_two_teams_gives_both(team, other_team, member):
    MembershipFactory(team=other_team, user=member, role=Role.VIEWER)
    make_learning(team, title="Ours")
    make_learning(other_team, title="Theirs")
    assert set(titles(learning_list(user=member))) == {"Ours", "Theirs"}


def test_outsider_sees_none_of_the_teams_learnings_even_drawn_from_the_library(
    team, outsider, library_incident
):
    make_learning(team, library_incident, title="Ours, from their incident")
    assert list(learning_list(user=outsider)) == []
    assert list(learning_list(user=outsider, filters={"archived": "true"})) == []


def test_learning_list_leaves_out_archived_learnings_unless_asked(team, member):
    active = make_learning(team, title="Active")
    archived = make_learning(team, title="Archived")
    archive(archived)
    assert list(learning_list(user=member)) == [active]
    assert list(learning_list(user=member, filters={"archived": "true"})) == [archived]


def test_learning_list_counts_open_action_items_only(team, member):
    learning = make_learning(team)
    for title in ("Open", "Also open"):
        ActionItem.objects.create(learning=learning, title=title)
    ActionItem.objects.create(learning=learning, title="Done", done_at=NOW)
    ActionItem.objects.create(learning=learning, title="Archived", archived_at=NOW)
    assert learning_list(user=member).get().open_item_count == 2


def _learnings_with_causes(team, count):
    for n in range(count):
        learning = make_learning(
            team,
            make_incident(team, "production-slip", ["automation-misfire"]),
            make_incident(team, "account-compromise", ["defensive-response"]),
            title=f"Learning {n}",
        )
        ActionItem.objects.create(learning=learning, title="Open")


def _read_list(user):
    rows = []
    for learning in learning_list(user=user):
        rows.append((learning.title, str(learning.team), str(learning.owner),
                     learning.open_item_count, [d.cause.slug for d in learning_causes(learning)],
                     [i.organization.name for i in counted_incidents(learning)]))
    return rows


@pytest.mark.parametrize("count", [1, 6])
def test_learning_list_reads_in_the_same_number_of_queries_for_1_or_many(
    team, member, count, django_assert_num_queries
):
    _learnings_with_causes(team, count)
    # learnings with team, owner and counts; linked incidents; their contributing causes
    with django_assert_num_queries(3):
        rows = _read_list(member)
    assert len(rows) == count
    assert all(len(row[4]) == 4 for row in rows)


def test_learning_get_returns_a_learning_of_the_users_team(team, viewer):
    learning = make_learning(team)
    assert learning_get(user=viewer, public_id=learning.public_id) == learning
    assert learning_get(user=viewer, public_id=str(learning.public_id)) == learning


def test_learning_get_returns_archived_learnings_too(team, member):
    learning = make_learning(team)
    archive(learning)
    assert learning_get(user=member, public_id=learning.public_id) == learning


def test_learning_get_is_404_for_an_outsider(team, outsider):
    learning = make_learning(team)
    with pytest.raises(Http404):
        learning_get(user=outsider, public_id=learning.public_id)


def test_learning_get_is_404_for_an_anonymous_user(team):
    learning = make_learning(team)
    with pytest.raises(Http404):
        learning_get(user=AnonymousUser(), public_id=learning.public_id)


def test_learning_get_gives_the_active_action_items_only(team, member):
    learning = make_learning(team)
    kept = ActionItem.objects.create(learning=learning, title="Kept")
    ActionItem.objects.create(learning=learning, title="Archived", archived_at=NOW)
    assert learning_get(user=member, public_id=learning.public_id).items == [kept]


def test_learning_get_reads_the_page_in_the_same_number_of_queries_for_1_or_many(
    team, member, django_assert_num_queries
):
    small = make_learning(team, make_incident(team, "production-slip"))
    ActionItem.objects.create(learning=small, title="One", due_on=TODAY)
    large = make_learning(team, *[make_incident(team, "production-slip", ["account-compromise"])
                                  for _ in range(5)])
    for n in range(5):
        ActionItem.objects.create(learning=large, title=f"Item {n}", owner=member,
                                  due_on=TODAY - timedelta(days=n))
    for learning in (small, large):
        # learning with its people; linked incidents; their contributing causes; action items
        with django_assert_num_queries(4), time_machine.travel(NOW, tick=False):
            shown = learning_get(user=member, public_id=learning.public_id)
            causes = [d.cause.name for d in learning_causes(shown)]
            items = [(str(item.owner), item.is_overdue()) for item in shown.items]
            people = (shown.team.name, shown.owner, shown.created_by, shown.status_changed_by)
        assert len(causes) == (1 if learning == small else 2)
        assert len(items) == len(learning.action_items.all())
        assert people[0] == "Comms"


# Reading for a team, and with the list page's filter values


def test_a_team_reads_its_own_learnings_only_whoever_else_shares_its_incidents(
    team, other_team, library_incident
):
    ours = make_learning(team, library_incident, title="Ours")
    theirs = make_learning(other_team, library_incident, title="Theirs")
    assert list(learning_list(team=team)) == [ours]
    assert learning_get(team=other_team, public_id=theirs.public_id) == theirs
    with pytest.raises(Http404):
        learning_get(team=other_team, public_id=ours.public_id)


@pytest.mark.parametrize("reader", [{}, "both"])
def test_a_read_names_a_user_or_a_team_never_both_nor_neither(team, member, reader):
    if reader == "both":
        reader = {"user": member, "team": team}
    with pytest.raises(TypeError):
        learning_list(**reader)
    with pytest.raises(TypeError):
        action_item_list(**reader)


def test_learning_list_applies_the_list_pages_filter_values(team, member):
    make_learning(team, title="Beta", status="adopted", adopted_at=NOW)
    make_learning(team, title="Alpha", status="adopted", adopted_at=NOW)
    make_learning(team, title="Draft")
    adopted = {"status": "adopted", "sort": "title"}
    assert titles(learning_list(user=member, filters=adopted)) == ["Alpha", "Beta"]
    assert titles(learning_list(team=team, filters=adopted)) == ["Alpha", "Beta"]


def test_a_filter_value_that_does_not_validate_filters_nothing_and_says_why(team, member):
    make_learning(team, title="Draft")
    found = learning_filterset(user=member, filters={"status": "perfect", "q": "draft"})
    assert titles(found.qs) == ["Draft"]
    assert list(found.errors) == ["status"]


def test_a_teams_filter_offers_that_team_and_its_people_only(team, other_team, member,
                                                            outsider):
    filters = learning_filterset(team=team).filters
    assert list(filters["team"].queryset) == [team]
    assert member in filters["owner"].queryset
    assert outsider not in filters["owner"].queryset


def test_learning_rows_count_own_and_external_incidents_that_count(
    team, other_team, member
):
    own = make_incident(team, "production-slip", ["automation-misfire"], origin="own")
    external = make_incident(other_team, "account-compromise", origin="external",
                             visibility="library")
    archived = make_incident(team, "defensive-response", origin="own")
    archive(archived)
    made_private = make_incident(other_team, origin="external", visibility="library")
    make_learning(team, own, external, archived, made_private)
    make_private(made_private)
    (row,) = learning_rows(learning_list(user=member))
    assert (row.own_count, row.external_count) == (1, 1)
    # Primary causes first, then the contributing one; none of the archived incident's.
    assert [d.cause.slug for d in row.causes] == [
        "account-compromise", "production-slip", "automation-misfire"]


@pytest.mark.parametrize("count", [1, 6])
def test_learning_rows_cost_no_query_for_the_lists_rows_and_two_for_others(
    team, member, count, django_assert_num_queries
):
    _learnings_with_causes(team, count)
    listed_rows = list(learning_list(user=member))
    with django_assert_num_queries(0):
        learning_rows(listed_rows)
    # Learnings read some other way: their incidents, those incidents' contributing causes.
    plain = list(Learning.objects.all())
    with django_assert_num_queries(2):
        rows = learning_rows(plain)
    assert [(row.own_count, len(row.causes)) for row in rows] == [(2, 4)] * count


# learning_draft_teams, learning_prefill


def test_draft_teams_are_the_writers_teams_that_read_every_incident(
    team, other_team, member, private_incident, library_incident, outsider_private_incident
):
    third = MembershipFactory(user=member, role=Role.MANAGER).team
    MembershipFactory(user=member, team=other_team, role=Role.MEMBER)

    def slugs(*incidents):
        return [t.slug for t in learning_draft_teams(user=member, incidents=incidents)]

    # The library's incident: every team the member writes for, by name.
    assert slugs(library_incident) == [
        t.slug for t in sorted([team, other_team, third], key=lambda t: t.name)]
    assert slugs(private_incident) == [team.slug]
    assert slugs(private_incident, library_incident) == [team.slug]
    assert slugs(private_incident, outsider_private_incident) == []
    assert len(slugs()) == 3


def test_draft_teams_leave_out_teams_where_the_person_only_reads(
    team, viewer, private_incident, library_incident
):
    assert list(learning_draft_teams(user=viewer, incidents=[private_incident])) == []
    assert list(learning_draft_teams(user=viewer, incidents=[library_incident])) == []


def test_prefill_names_the_cause_and_the_incident_and_offers_the_causes_prevention(team):
    incident = make_incident(team, "production-slip", title="Draft tweet went out",
                             occurred_on=date(2026, 3, 4), organization__name="Northwind")
    slip = cause("production-slip")
    assert learning_prefill(incident=incident) == {
        "title": f"{slip.name}: Draft tweet went out",
        "lesson": f"**Northwind, March 2026** — Draft tweet went out.\n\n{slip.description}",
        "practice": slip.prevention,
    }


# linkable_incident_search


@pytest.fixture
def storm_incidents(team, other_team):
    return {
        "own": make_incident(team, title="Storm sale post went out",
                             occurred_on=date(2026, 10, 3)),
        "library": make_incident(other_team, title="Storm hashtag hijack",
                                 visibility="library", origin="external",
                                 occurred_on=date(2026, 10, 2)),
        "their_private": make_incident(other_team, title="Storm secret misstep"),
        "archived": make_incident(team, title="Storm archived slip"),
        "linked": make_incident(team, title="Storm already linked"),
        "unrelated": make_incident(team, title="Typo in the menu"),
    }


def test_linkable_search_offers_own_and_library_incidents_not_yet_linked(
    team, storm_incidents
):
    archive(storm_incidents["archived"])
    learning = make_learning(team, storm_incidents["linked"])
    found = linkable_incident_search(learning=learning, text="storm")
    assert set(titles(found)) == {"Storm sale post went out", "Storm hashtag hijack"}


def test_linkable_search_never_offers_another_teams_private_incident_to_a_member_of_both(
    team, other_team, member, storm_incidents
):
    MembershipFactory(team=other_team, user=member, role=Role.MANAGER)
    learning = make_learning(team)
    found = linkable_incident_search(learning=learning, text="secret misstep")
    assert found == []


def test_linkable_search_finds_an_incident_by_its_organisations_name(team, other_team):
    brand = make_incident(other_team, title="Hashtag hijack", visibility="library",
                          origin="external", organization__name="Northwind Coffee")
    make_incident(other_team, title="Secret slip", organization__name="Northwind Tea")
    found = linkable_incident_search(learning=make_learning(team), text="Northwind")
    assert found == [brand]


def test_linkable_search_with_blank_text_offers_nothing(team, storm_incidents):
    assert linkable_incident_search(learning=make_learning(team), text="   ") == []


def test_linkable_search_stops_at_the_limit(team, storm_incidents):
    found = linkable_incident_search(learning=make_learning(team), text="storm", limit=1)
    assert len(found) == 1


# action_item_list, action_item_get, action_item_rows


@pytest.fixture
def owned_items(team, other_team, member, manager):
    learning = make_learning(team, title="Ours")

    def add(title, owner=member, of=learning, **fields):
        return ActionItem.objects.create(learning=of, title=title, owner=owner, **fields)

    items = {
        "undated": add("Undated"),
        "later": add("Due later", due_on=TODAY + timedelta(days=20)),
        "today": add("Due today", due_on=TODAY),
        "overdue": add("Overdue", due_on=TODAY - timedelta(days=5)),
        "done_first": add("Done first", due_on=TODAY - timedelta(days=40),
                          done_at=NOW - timedelta(days=30)),
        "done_last": add("Done last", due_on=TODAY - timedelta(days=30),
                         done_at=NOW - timedelta(days=1)),
    }
    add("Someone else's", owner=manager, due_on=TODAY - timedelta(days=9))
    add("Archived", archived_at=NOW, due_on=TODAY - timedelta(days=9))
    archived_learning = make_learning(team, title="Archived learning")
    archive(archived_learning)
    add("Of an archived learning", of=archived_learning, due_on=TODAY - timedelta(days=9))
    # Left over from a team the member does not belong to.
    add("Another team's", of=make_learning(other_team, title="Theirs"),
        due_on=TODAY - timedelta(days=9))
    return items


def mine(user, done=False):
    """The user's own action items, as My actions reads them."""
    return action_item_list(user=user, owner=user, done=done)


def test_owners_open_items_come_overdue_first_then_by_due_date_undated_last(
    member, owned_items
):
    with time_machine.travel(NOW, tick=False):
        items = list(mine(member))
        assert [item.is_overdue() for item in items] == [True, False, False, False]
    assert titles(items) == ["Overdue", "Due today", "Due later", "Undated"]


def test_owners_done_items_alone_come_most_recently_done_first(member, owned_items):
    assert titles(mine(member, done=True)) == ["Done last", "Done first"]


def test_owners_items_leave_out_their_teams_they_left(team, member, owned_items):
    Membership.objects.filter(user=member, team=team).delete()
    assert list(mine(member)) == []
    assert list(mine(member, done=True)) == []


def test_owners_items_of_each_of_their_teams_are_listed(other_team, member, owned_items):
    MembershipFactory(team=other_team, user=member, role=Role.MEMBER)
    assert "Another team's" in titles(mine(member))


def test_someone_who_owns_nothing_has_no_items(team, owned_items):
    person = MembershipFactory(team=team, user=UserFactory()).user
    assert list(mine(person)) == []
    assert list(mine(person, done=True)) == []


def test_owners_items_are_read_with_their_learning_and_team_in_one_query(
    member, owned_items, django_assert_num_queries
):
    with django_assert_num_queries(1), time_machine.travel(NOW, tick=False):
        items = list(mine(member))
        assert {item.learning.team.slug for item in items} == {"comms"}
        assert [item.is_overdue() for item in items] == [True, False, False, False]


def test_a_teams_open_items_are_everyone_of_its_own_overdue_first(team, owned_items):
    assert titles(action_item_list(team=team)) == [
        "Someone else's", "Overdue", "Due today", "Due later", "Undated"]
    assert titles(action_item_list(team=team, done=True)) == ["Done last", "Done first"]


def test_a_teams_items_of_one_owner_leave_out_the_others(team, manager, owned_items):
    assert titles(action_item_list(team=team, owner=manager)) == ["Someone else's"]


def test_an_action_item_is_got_by_its_reader_or_its_team_and_404_for_others(
    team, other_team, member, outsider, owned_items
):
    item = owned_items["overdue"]
    assert action_item_get(user=member, public_id=item.public_id) == item
    assert action_item_get(team=team, public_id=item.public_id) == item
    for reader in ({"user": outsider}, {"team": other_team}):
        with pytest.raises(Http404):
            action_item_get(public_id=item.public_id, **reader)


def test_action_item_rows_say_where_the_reader_may_write_and_today_for_each_team(
    team, other_team, member, owned_items, django_assert_num_queries
):
    MembershipFactory(team=other_team, user=member, role=Role.VIEWER)
    team.timezone, other_team.timezone = "Pacific/Kiritimati", "Pacific/Pago_Pago"
    team.save()
    other_team.save()
    items = list(mine(member))
    assert len(items) == 5
    with django_assert_num_queries(1), time_machine.travel(NOW, tick=False):
        rows = action_item_rows(items, user=member)
    assert {(row.title, row.can_write, row.team_today) for row in rows} == {
        ("Another team's", False, date(2026, 11, 10)),
        *((title, True, date(2026, 11, 11))
          for title in ("Overdue", "Due today", "Due later", "Undated")),
    }


def test_action_item_rows_of_nothing_cost_no_query(member, django_assert_num_queries):
    with django_assert_num_queries(0):
        assert action_item_rows([], user=member) == []


# incident_learning_list


def test_incident_learning_list_gives_the_readers_learnings_from_it_in_force_first(
    team, other_team, member, library_incident
):
    make_learning(team, library_incident, title="Retired", status="retired")
    make_learning(team, library_incident, title="Draft", status="draft")
    make_learning(team, library_incident, title="Adopted", status="adopted",
                  adopted_at=NOW)
    make_learning(team, library_incident, title="Proposed", status="proposed")
    archive(make_learning(team, library_incident, title="Archived"))
    make_learning(team, title="Not from it")
    make_learning(other_team, library_incident, title="Another team's")
    found = incident_learning_list(user=member, incident=library_incident)
    assert titles(found) == ["Adopted", "Proposed", "Draft", "Retired"]


def test_incident_page_selectors_read_in_one_query_each(
    team, other_team, member, django_assert_num_queries
):
    incident = make_incident(team, "production-slip", occurred_on=date(2026, 10, 1))
    for n in range(3):
        earlier = make_incident(team, "production-slip", occurred_on=date(2026, 5, 1))
        make_learning(team, incident, title=f"From it {n}", owner=member)
        make_learning(team, earlier, title=f"Precedent {n}", owner=member, status="adopted",
                      adopted_at=datetime(2026, 6, 1, tzinfo=UTC))
        make_incident(other_team, "production-slip", visibility="library")
    # As the incident page reads it.
    incident = incident_get(user=member, public_id=incident.public_id)
    with django_assert_num_queries(1):
        assert len([(x.team.name, str(x.owner))
                    for x in incident_learning_list(user=member, incident=incident)]) == 3
    with django_assert_num_queries(1):
        assert len([(x.team.name, str(x.owner))
                    for x in learning_precedents(user=member, incident=incident)]) == 3
    with django_assert_num_queries(1):
        assert len([x.organization.name
                    for x in library_precedents(user=member, incident=incident)]) == 3
    with django_assert_num_queries(1):
        assert len([str(x.owner) for x in incident_repeat_of(user=member, incident=incident)]) == 3


# learning_precedents


@pytest.fixture
def new_slip(team):
    """A new own incident whose primary cause is a production slip."""
    return make_incident(team, "production-slip", ["account-compromise"],
                         title="New slip")


def test_precedents_share_the_incidents_primary_cause_adopted_first(
    team, other_team, member, new_slip
):
    make_learning(team, make_incident(team, "production-slip"), title="Draft by primary")
    make_learning(team, make_incident(team, "automation-misfire", ["production-slip"]),
                  title="Proposed by contributing", status="proposed")
    make_learning(team, make_incident(team, "production-slip"), title="Adopted earlier",
                  status="adopted", adopted_at=NOW - timedelta(days=30))
    make_learning(team, make_incident(team, "production-slip"), title="Adopted lately",
                  status="adopted", adopted_at=NOW - timedelta(days=2))
    found = learning_precedents(user=member, incident=new_slip)
    assert titles(found) == ["Adopted lately", "Adopted earlier", "Proposed by contributing",
                             "Draft by primary"]


def test_precedents_leave_out_what_does_not_share_the_primary_cause_or_is_not_in_play(
    team, other_team, member, new_slip
):
    slip = make_incident(team, "production-slip")
    make_learning(team, slip, title="Retired", status="retired")
    archive(make_learning(team, slip, title="Archived"))
    make_learning(team, new_slip, slip, title="Already drawn from it")
    # The incident's contributing cause is not what precedents are about.
    make_learning(team, make_incident(team, "account-compromise"), title="Other cause")
    archived_slip = make_incident(team, "production-slip")
    archive(archived_slip)
    make_learning(team, archived_slip, title="Only through an archived incident")
    make_learning(other_team, make_incident(other_team, "production-slip"),
                  title="Another team's", status="adopted", adopted_at=NOW)
    make_learning(team, title="Without incidents")
    assert learning_precedents(user=member, incident=new_slip) == []


def test_precedents_stop_at_the_limit(team, member, new_slip):
    for n in range(3):
        make_learning(team, make_incident(team, "production-slip"), title=f"Learning {n}")
    assert len(learning_precedents(user=member, incident=new_slip, limit=2)) == 2


def test_outsider_gets_no_precedents_from_another_teams_learnings(
    team, outsider, library_incident
):
    make_learning(team, make_incident(team, "production-slip"), title="Ours")
    assert learning_precedents(user=outsider, incident=library_incident) == []


# library_precedents


def test_library_precedents_share_the_primary_cause_most_severe_then_most_recent(
    team, other_team, member
):
    incident = make_incident(team, "production-slip", visibility="library",
                             title="This one", severity="critical")

    def shared(title, **fields):
        return make_incident(other_team, "production-slip", visibility="library",
                             origin="external", title=title, **fields)

    shared("Medium, recent", severity="medium", occurred_on=date(2026, 10, 30))
    shared("Critical, old", severity="critical", occurred_on=date(2025, 1, 1))
    shared("High, older", severity="high", occurred_on=date(2026, 10, 1))
    shared("High, newer", severity="high", occurred_on=date(2026, 10, 5))
    shared("Low, newest", severity="low", occurred_on=date(2026, 11, 1))
    archive(shared("Archived", severity="critical"))
    make_incident(other_team, "account-compromise", visibility="library", title="Other cause")
    make_incident(other_team, "production-slip", visibility="team", title="Their private")
    make_incident(team, "production-slip", visibility="team", title="Our private")
    make_incident(other_team, "automation-misfire", ["production-slip"], visibility="library",
                  title="Contributing only")
    found = library_precedents(user=member, incident=incident)
    assert titles(found) == ["Critical, old", "High, newer", "High, older"
                             , "Medium, recent", "Low, newest"]


def test_library_precedents_stop_at_the_limit(team, other_team, member):
    incident = make_incident(team, "production-slip")
    for n in range(4):
        make_incident(other_team, "production-slip", visibility="library", title=f"Shared {n}")
    assert len(library_precedents(user=member, incident=incident, limit=3)) == 3


# incident_repeat_of

OCCURRED = date(2026, 10, 1)


@pytest.fixture
def repeat(team):
    """An own incident on 1 October whose primary cause an earlier incident already had."""
    return make_incident(team, "production-slip", title="Repeat", occurred_on=OCCURRED)


def in_force(team, adopted_at, retired_at=None, *incidents, title="Pause the queue"):
    """A learning drawn from an earlier slip, adopted (and maybe retired) at these times."""
    if not incidents:
        incidents = (make_incident(team, "production-slip", occurred_on=date(2026, 5, 1)),)
    status = "retired" if retired_at else "adopted"
    learning = make_learning(team, *incidents, title=title, status=status)
    # Set by hand: the service would stamp now.
    Learning.objects.filter(pk=learning.pk).update(adopted_at=adopted_at, retired_at=retired_at)
    return learning


def at(day: date, hour=12, minute=0) -> datetime:
    return datetime(day.year, day.month, day.day, hour, minute, tzinfo=UTC)


def test_learning_adopted_the_day_before_makes_the_incident_a_repeat(team, member, repeat):
    learning = in_force(team, at(OCCURRED - timedelta(days=1)))
    assert incident_repeat_of(user=member, incident=repeat) == [learning]


def test_learning_adopted_the_same_day_does_not_make_a_repeat(team, member, repeat):
    in_force(team, at(OCCURRED, hour=0, minute=1))
    assert incident_repeat_of(user=member, incident=repeat) == []


def test_learning_adopted_after_does_not_make_a_repeat(team, member, repeat):
    in_force(team, at(OCCURRED + timedelta(days=3)))
    assert incident_repeat_of(user=member, incident=repeat) == []


def test_learning_never_adopted_does_not_make_a_repeat(team, member, repeat):
    make_learning(team, make_incident(team, "production-slip"), status="proposed")
    assert incident_repeat_of(user=member, incident=repeat) == []


def test_learning_retired_before_the_incident_does_not_make_a_repeat(team, member, repeat):
    in_force(team, at(date(2026, 6, 1)), at(OCCURRED - timedelta(days=1)))
    assert incident_repeat_of(user=member, incident=repeat) == []


@pytest.mark.parametrize("retired_on", [OCCURRED, OCCURRED + timedelta(days=10)])
def test_learning_retired_on_or_after_the_incident_day_still_makes_a_repeat(
    team, member, repeat, retired_on
):
    learning = in_force(team, at(date(2026, 6, 1)), at(retired_on))
    assert incident_repeat_of(user=member, incident=repeat) == [learning]


def test_learning_covering_the_cause_only_through_the_incident_itself_is_no_repeat(
    team, member, repeat
):
    other_cause = make_incident(team, "account-compromise", occurred_on=date(2026, 5, 1))
    in_force(team, at(date(2026, 6, 1)), None, repeat, other_cause)
    assert incident_repeat_of(user=member, incident=repeat) == []


def test_learning_covering_the_cause_through_a_contributing_cause_makes_a_repeat(
    team, member, repeat
):
    earlier = make_incident(team, "automation-misfire", ["production-slip"],
                            occurred_on=date(2026, 5, 1))
    learning = in_force(team, at(date(2026, 6, 1)), None, earlier)
    assert incident_repeat_of(user=member, incident=repeat) == [learning]


def test_learning_covering_another_cause_is_no_repeat(team, member, repeat):
    in_force(team, at(date(2026, 6, 1)), None,
             make_incident(team, "account-compromise", occurred_on=date(2026, 5, 1)))
    assert incident_repeat_of(user=member, incident=repeat) == []


def test_learning_drawn_from_a_library_incident_makes_a_repeat(
    team, other_team, member, repeat
):
    theirs = make_incident(other_team, "production-slip", visibility="library",
                           origin="external", occurred_on=date(2026, 5, 1))
    learning = in_force(team, at(date(2026, 6, 1)), None, theirs)
    assert incident_repeat_of(user=member, incident=repeat) == [learning]


def test_learning_covering_the_cause_only_through_an_archived_incident_is_no_repeat(
    team, member, repeat
):
    earlier = make_incident(team, "production-slip", occurred_on=date(2026, 5, 1))
    archive(earlier)
    in_force(team, at(date(2026, 6, 1)), None, earlier)
    assert incident_repeat_of(user=member, incident=repeat) == []


def test_archived_learning_makes_no_repeat(team, member, repeat):
    archive(in_force(team, at(date(2026, 6, 1))))
    assert incident_repeat_of(user=member, incident=repeat) == []


def test_external_incident_is_never_a_repeat(team, member):
    external = make_incident(team, "production-slip", origin="external",
                             occurred_on=OCCURRED)
    in_force(team, at(date(2026, 6, 1)))
    assert incident_repeat_of(user=member, incident=external) == []


def test_another_teams_learning_makes_no_repeat_even_for_a_member_of_both(
    team, other_team, member, repeat
):
    MembershipFactory(team=other_team, user=member, role=Role.MEMBER)
    shared = make_incident(other_team, "production-slip", visibility="library",
                           origin="external", occurred_on=date(2026, 5, 1))
    in_force(other_team, at(date(2026, 6, 1)), None, shared)
    assert incident_repeat_of(user=member, incident=repeat) == []


def test_outsider_reading_a_shared_own_incident_sees_no_repeat(team, outsider, repeat):
    Incident.objects.filter(pk=repeat.pk).update(visibility="library")
    repeat.refresh_from_db()
    in_force(team, at(date(2026, 6, 1)))
    assert incident_repeat_of(user=outsider, incident=repeat) == []


def test_repeats_come_oldest_adoption_first(team, member, repeat):
    newer = in_force(team, at(date(2026, 8, 1)), title="Newer")
    older = in_force(team, at(date(2026, 6, 1)), title="Older")
    assert incident_repeat_of(user=member, incident=repeat) == [older, newer]


@pytest.mark.parametrize(
    ("tz", "is_repeat"),
    [
        # 23:30 UTC on 30 September is still the 30th in UTC and New York…
        ("UTC", True),
        ("America/New_York", True),
        # …but already 1 October, the incident's day, in Tokyo and in summer-time London.
        ("Asia/Tokyo", False),
        ("Europe/London", False),
    ],
)
def test_adoption_day_is_read_in_the_teams_time_zone(team, member, repeat, tz, is_repeat):
    team.timezone = tz
    team.save()
    repeat.refresh_from_db()
    learning = in_force(team, at(OCCURRED - timedelta(days=1), hour=23, minute=30))
    assert incident_repeat_of(user=member, incident=repeat) == ([learning] if is_repeat else [])


@pytest.mark.parametrize(("tz", "is_repeat"), [("UTC", False), ("Asia/Tokyo", True)])
def test_retirement_day_is_read_in_the_teams_time_zone(team, member, repeat, tz, is_repeat):
    # Retired at 23:30 UTC the day before: before the incident in UTC, on its day in Tokyo.
    team.timezone = tz
    team.save()
    repeat.refresh_from_db()
    learning = in_force(team, at(date(2026, 6, 1)),
                        at(OCCURRED - timedelta(days=1), hour=23, minute=30))
    assert incident_repeat_of(user=member, incident=repeat) == ([learning] if is_repeat else [])
