"""The digest's content against a hand-built data set whose expected lists are written here.

The team, Comms, works in New York (UTC−5 in November) and reads its digest on Monday 23
November 2026 at 09:00 there (14:00 UTC): the week is Monday 16 to Sunday 22 November, New
York days, and the week before is 9 to 15 November. A stored time late on the Sunday evening
there is already Monday in UTC, and one late on the Sunday before is Monday 16 November in UTC:
both sides of each boundary are present. Another team's private incident, learning and action
item, archived rows of every kind, and shared incidents logged outside the week are present
and must not appear.
"""

import re
from datetime import UTC, date, datetime
from decimal import Decimal

import pytest
import time_machine

from accounts.models import Role
from dashboards.digests import (
    CauseWeek,
    digest_build,
    digest_message,
    digest_recipients,
    new_message_id,
)
from dashboards.periods import Period
from incidents.models import Incident
from learnings.models import ActionItem, Learning
from tests.conftest import built_once
from tests.factories import (
    IncidentFactory,
    MembershipFactory,
    OrganizationFactory,
    TeamFactory,
    UserFactory,
    cause,
)

NOW = datetime(2026, 11, 23, 14, 0, tzinfo=UTC)      # Monday 09:00 in New York
WEEK = Period(start=date(2026, 11, 16), end=date(2026, 11, 22))
QUIET_WEEK = Period(start=date(2026, 11, 2), end=date(2026, 11, 8))
SITE = "https://misfire.example.org"
# digest_build's queries: the dashboard's eight numbers, the shared incidents elsewhere, the
# learnings created or adopted, the own incidents listed and the overdue items listed.
BUILD_QUERIES = 12


def utc(*args) -> datetime:
    return datetime(*args, tzinfo=UTC)


def incident(team, title, day, severity="medium", primary="production-slip", *,
             origin="own", visibility="team", created=None, **fields):
    fields.setdefault("organization", OrganizationFactory(name="Acme", slug="acme"))
    made = IncidentFactory(team=team, title=title, occurred_on=day, severity=severity,
                           primary_cause=cause(primary), origin=origin, visibility=visibility,
                           **fields)
    if created is not None:
        Incident.objects.filter(pk=made.pk).update(created_at=created)
    return made


def shared(team, title, created, severity="medium", primary="account-compromise", **fields):
    """An incident another team logged at `created` and shared with the library."""
    return incident(team, title, date(2026, 11, 1), severity, primary, origin="external",
                    visibility="library", created=created, **fields)


def learning(team, title, *incidents, created, **fields):
    made = Learning.objects.create(team=team, title=title, **fields)
    Learning.objects.filter(pk=made.pk).update(created_at=created)
    made.incidents.set(incidents)
    made.refresh_from_db()
    return made


def item(learning, title, **fields):
    return ActionItem.objects.create(learning=learning, title=title, **fields)


@pytest.fixture(scope="module")
def world(django_db_setup, django_db_blocker):
    with built_once(django_db_blocker), time_machine.travel(NOW, tick=False):
        team = TeamFactory(name="Comms", slug="comms", timezone="America/New_York")
        other = TeamFactory(name="Elsewhere", slug="elsewhere", timezone="UTC")
        ann = MembershipFactory(team=team, role=Role.MANAGER, user=UserFactory(
            email="ann@example.com", display_name="Ann Owner"))
        w = {"team": team, "other": other, "ann": ann}

        # The team's own incidents of the week: twelve, of which ten are listed.
        w["critical"] = incident(team, "Critical slip", date(2026, 11, 17), "critical")
        incident(team, "High A", date(2026, 11, 16), "high")
        incident(team, "High B", date(2026, 11, 20), "high", "automation-misfire")
        for day in range(16, 23):
            incident(team, f"Medium {day}", date(2026, 11, day))
        incident(team, "Low 1", date(2026, 11, 22), "low", "insensitive-timing")
        incident(team, "Low 2", date(2026, 11, 22), "low", "insensitive-timing")
        # Another organisation's failure the team logged (and shared) this week.
        w["fumble"] = incident(team, "Brand X fumble", date(2026, 11, 18), "high",
                               "automation-misfire", origin="external", visibility="library")
        # The week before; and an archived one of this week.
        w["last week"] = incident(team, "Last week slip", date(2026, 11, 15))
        incident(team, "Last week timing", date(2026, 11, 10), primary="insensitive-timing")
        incident(team, "Archived own slip", date(2026, 11, 19), "critical", archived_at=NOW)

        # Shared by the other team, logged in the week (New York days). The team's frequent
        # causes are production-slip (10 this year), insensitive-timing (3) and
        # automation-misfire (2).
        w["E1"] = shared(other, "Other critical unrelated", utc(2026, 11, 18, 15), "critical",
                         response_score=3)
        shared(other, "Other low frequent", utc(2026, 11, 17, 15), "low", "production-slip")
        shared(other, "Other high frequent", utc(2026, 11, 19, 15), "high", "automation-misfire")
        shared(other, "Other medium frequent newer", utc(2026, 11, 21, 15), "medium",
               "insensitive-timing")
        shared(other, "Other medium frequent older", utc(2026, 11, 20, 15), "medium",
               "production-slip")
        shared(other, "Other medium unrelated", utc(2026, 11, 22, 15), response_score=4)
        # 22:00 on Sunday 22 November in New York, Monday in UTC: in the week.
        shared(other, "Sunday night elsewhere", utc(2026, 11, 23, 3), "low")
        # 23:00 on Sunday 15 November in New York, Monday 16 in UTC: the week before.
        shared(other, "Saturday night elsewhere", utc(2026, 11, 16, 4), "critical",
               "production-slip")
        # 01:00 on Monday 23 November in New York: this week's, not the reported one's.
        shared(other, "Monday small hours elsewhere", utc(2026, 11, 23, 6), "critical",
               "production-slip")
        # Occurred in the week but logged before it.
        incident(other, "Old news", date(2026, 11, 18), "critical", "production-slip",
                 origin="external", visibility="library", created=utc(2026, 11, 10, 15))
        # Never shown: the other team's private incident and its archived shared one.
        w["secret incident"] = incident(other, "Elsewhere's secret misstep", date(2026, 11, 18),
                                        "critical", "production-slip",
                                        created=utc(2026, 11, 18, 15))
        shared(other, "Archived shared case", utc(2026, 11, 18, 15), "critical",
               "production-slip", archived_at=NOW, response_score=4)

        # Learnings. Created in the week: four (two drawn from other organisations' failures).
        old = learning(team, "Old adopted", w["last week"], created=utc(2026, 9, 1),
                       status="adopted", adopted_at=utc(2026, 9, 2))
        adopted = learning(team, "Adopted this week", created=utc(2026, 10, 1),
                           status="adopted", adopted_at=utc(2026, 11, 19, 15))
        learning(team, "Created and adopted", w["E1"], created=utc(2026, 11, 17, 15),
                 status="adopted", adopted_at=utc(2026, 11, 20, 15))
        learning(team, "New draft learning", w["fumble"], created=utc(2026, 11, 18, 15))
        learning(team, "Proposed from own", w["critical"], created=utc(2026, 11, 21, 15),
                 status="proposed")
        learning(team, "Late Sunday learning", created=utc(2026, 11, 23, 3))
        learning(team, "Saturday night learning", created=utc(2026, 11, 16, 4))
        archived = learning(team, "Archived learning", created=utc(2026, 11, 18, 15),
                            status="adopted", adopted_at=utc(2026, 11, 18, 16), archived_at=NOW)
        retired = learning(team, "Retired learning", created=utc(2026, 1, 1), status="retired",
                           adopted_at=utc(2026, 1, 2), retired_at=utc(2026, 6, 1))
        w["secret learning"] = learning(other, "Elsewhere's private lesson",
                                        created=utc(2026, 11, 18, 15), status="adopted",
                                        adopted_at=utc(2026, 11, 19, 15))

        # Action items: two overdue (New York's today is 23 November).
        item(old, "Call the agency", owner=ann.user, due_on=date(2026, 11, 10))
        item(adopted, "Update the checklist", due_on=date(2026, 11, 22))
        item(adopted, "Due today", due_on=date(2026, 11, 23))
        item(adopted, "Undated task")
        item(old, "Done already", due_on=date(2026, 11, 1), done_at=utc(2026, 11, 2))
        item(retired, "On a retired learning", due_on=date(2026, 11, 1))
        item(archived, "On an archived learning", due_on=date(2026, 11, 1))
        item(old, "Archived item", due_on=date(2026, 11, 1), archived_at=NOW)
        item(w["secret learning"], "Elsewhere's overdue task", due_on=date(2026, 11, 1))

        # Quiet teams, read for 2–8 November: one with adopted learnings, one with none.
        w["quiet"] = TeamFactory(name="Quiet", slug="quiet", timezone="UTC")
        learning(w["quiet"], "Older adopted", created=utc(2026, 8, 1), status="adopted",
                 adopted_at=utc(2026, 9, 1))
        learning(w["quiet"], "Newest adopted", created=utc(2026, 8, 1), status="adopted",
                 adopted_at=utc(2026, 10, 1))
        learning(w["quiet"], "Archived adopted", created=utc(2026, 8, 1), status="adopted",
                 adopted_at=utc(2026, 10, 5), archived_at=NOW)
        w["quieter"] = TeamFactory(name="Quieter", slug="quieter", timezone="UTC")
        yield w


@pytest.fixture(autouse=True)
def at_now(settings):
    settings.SITE_URL = SITE
    with time_machine.travel(NOW, tick=False):
        yield


@pytest.fixture
def digest(world):
    return digest_build(team=world["team"], period=WEEK)


def render(digest, membership):
    message = digest_message(digest, membership, message_id="<test@misfire.example.org>")
    html = message.alternatives[0][0]
    return message, message.body, html


@pytest.fixture
def email(digest, world):
    return render(digest, world["ann"])


def section(text: str, heading: str) -> list[str]:
    """The lines of one section of the text part, up to the next blank line."""
    lines = text.split(heading + "\n", 1)[1].split("\n\n", 1)[0]
    return [line.strip() for line in lines.splitlines()]


def titles(objects) -> list[str]:
    return [each.title for each in objects]


# ---------------------------------------------------------------------------------------------
# What the digest holds


@pytest.mark.django_db
def test_own_incidents_are_listed_by_severity_then_newest_at_most_ten(digest):
    assert titles(digest.own_incidents) == [
        "Critical slip", "High B", "High A", "Medium 22", "Medium 21", "Medium 20", "Medium 19",
        "Medium 18", "Medium 17", "Medium 16"]
    assert (digest.own_total, digest.own_more, digest.external_total) == (12, 2, 1)


@pytest.mark.django_db
def test_failures_elsewhere_are_other_teams_shared_cases_logged_in_the_week_frequent_first(
        digest):
    assert titles(digest.elsewhere) == [
        "Other high frequent", "Other medium frequent newer", "Other medium frequent older",
        "Other low frequent", "Other critical unrelated"]
    assert [each.is_frequent for each in digest.elsewhere] == [1, 1, 1, 1, 0]
    # The two left out: Other medium unrelated and Sunday night elsewhere.
    assert (digest.elsewhere_total, digest.elsewhere_more) == (7, 2)


@pytest.mark.django_db
def test_learnings_created_and_adopted_in_the_week_newest_first(digest):
    assert titles(digest.learnings_created) == [
        "Late Sunday learning", "Proposed from own", "New draft learning", "Created and adopted"]
    assert titles(digest.learnings_adopted) == ["Created and adopted", "Adopted this week"]
    assert (digest.created_total, digest.adopted_total) == (4, 2)


@pytest.mark.django_db
def test_overdue_action_items_are_open_past_due_on_live_learnings_with_owners(digest, world):
    assert titles(digest.overdue) == ["Call the agency", "Update the checklist"]
    assert [each.owner for each in digest.overdue] == [world["ann"].user, None]
    assert (digest.overdue_total, digest.overdue_more) == (2, 0)


@pytest.mark.django_db
def test_causes_compare_the_week_with_the_one_before_with_bar_widths_against_the_widest(digest):
    assert digest.causes == [
        CauseWeek("production-slip", "Production or QA slip", now=9, before=1,
                  now_width=100, before_width=11),
        CauseWeek("automation-misfire", "Automation gone wrong", now=2, before=0,
                  now_width=22, before_width=0),
        CauseWeek("insensitive-timing", "Insensitive timing", now=2, before=1,
                  now_width=22, before_width=11),
    ]


@pytest.mark.django_db
def test_the_learning_ratio_is_learnings_drawn_from_others_over_own_incidents(digest):
    # Created and adopted (from E1) and New draft learning (from Brand X fumble): 2 / 12.
    assert digest.numbers.learning_ratio == Decimal("0.17")
    assert digest.is_quiet is False
    assert digest.pick is None


@pytest.mark.django_db
def test_a_cause_only_in_the_week_before_is_not_listed(world):
    incident(world["team"], "Earlier compromise", date(2026, 11, 12), primary="account-compromise")
    digest = digest_build(team=world["team"], period=WEEK)
    assert "account-compromise" not in [each.slug for each in digest.causes]


# ---------------------------------------------------------------------------------------------
# The email


@pytest.mark.django_db
def test_the_subject_names_the_team_the_week_and_its_main_numbers(email):
    message, _, _ = email
    assert message.subject == ("Comms weekly digest, 16–22 November 2026: 12 own incidents, "
                               "7 elsewhere, 2 learnings adopted, 2 overdue")


@pytest.mark.django_db
def test_the_text_part_lists_the_same_facts_in_the_same_order(email):
    _, text, _ = email
    assert section(text, "THE WEEK IN NUMBERS") == [
        "Own incidents: 12", "Other organisations' failures your team logged: 1",
        "Shared by other teams: 7", "Learnings created: 4, adopted: 2",
        "Overdue action items: 2", "Learning ratio: 0.17"]
    own = section(text, "YOUR INCIDENTS THIS WEEK")
    assert own[0] == ("- [Critical] Critical slip — Acme, X / Twitter, 17 Nov; "
                      "cause: Production or QA slip")
    assert re.findall(r"^- \[\w+\] (.+?) —", "\n".join(own), re.M) == [
        "Critical slip", "High B", "High A", "Medium 22", "Medium 21", "Medium 20", "Medium 19",
        "Medium 18", "Medium 17", "Medium 16"]
    assert own[-1] == (f"… and 2 more: {SITE}/incidents/?team=comms&origin=own"
                       "&occurred_after=2026-11-16&occurred_before=2026-11-22")
    elsewhere = "\n".join(section(text, "FAILURES ELSEWHERE"))
    assert re.findall(r"^- \[\w+\] (.+?) —", elsewhere, re.M) == [
        "Other high frequent", "Other medium frequent newer", "Other medium frequent older",
        "Other low frequent", "Other critical unrelated"]
    assert elsewhere.count("(one of your frequent causes)") == 4
    assert f"All 7 in the library: {SITE}/library/?sort=-created_at" in elsewhere
    assert [line for line in section(text, "LEARNINGS") if line.startswith("- ")] == [
        "- Adopted: Created and adopted", "- Adopted: Adopted this week",
        "- New (draft): Late Sunday learning", "- New (proposed): Proposed from own",
        "- New (draft): New draft learning", "- New (adopted): Created and adopted"]
    assert [line for line in section(text, "OVERDUE ACTION ITEMS") if line.startswith("- ")] == [
        "- Call the agency — Ann Owner, due 10 Nov 2026 (Old adopted)",
        "- Update the checklist — no owner, due 22 Nov 2026 (Adopted this week)"]
    assert section(text, "CAUSES, THIS WEEK AND THE WEEK BEFORE") == [
        "Production or QA slip: 9 (before: 1)", "Automation gone wrong: 2 (before: 0)",
        "Insensitive timing: 2 (before: 1)"]


@pytest.mark.django_db
def test_the_html_part_has_the_same_lists_and_the_bars_widths(email):
    _, _, html = email
    links = re.findall(r'<a [^>]*href="[^"]*"[^>]*>([^<]+)</a>', html)
    own = links[links.index("Critical slip"):links.index("Critical slip") + 10]
    assert own == ["Critical slip", "High B", "High A", "Medium 22", "Medium 21", "Medium 20",
                   "Medium 19", "Medium 18", "Medium 17", "Medium 16"]
    assert "2 more" in links
    start = links.index("Other high frequent")
    assert links[start:start + 5] == [
        "Other high frequent", "Other medium frequent newer", "Other medium frequent older",
        "Other low frequent", "Other critical unrelated"]
    assert "All 7 in the library" in links
    assert html.count("one of your frequent causes") == 4
    # A zero bar has no cell at all: mail clients draw a 0% cell a few pixels wide.
    assert re.findall(r'<td [^>]*width="(\d+)%"', html) == ["100", "11", "22", "22", "11"]
    for figure in ("12", "7", "2", "1", "0.17"):
        assert re.search(rf'<span [^>]*>{re.escape(figure)}</span>', html)
    assert "Ann Owner · due 10 Nov 2026" in html
    assert "No owner · due 22 Nov 2026" in html


@pytest.mark.django_db
def test_nothing_of_another_teams_private_data_and_nothing_archived_is_in_the_email(email):
    message, text, html = email
    for hidden in ("Elsewhere's secret misstep", "Elsewhere's private lesson",
                   "Elsewhere's overdue task", "Archived own slip", "Archived shared case",
                   "Archived learning", "Archived item", "On an archived learning",
                   "On a retired learning", "Saturday night elsewhere",
                   "Monday small hours elsewhere", "Old news", "Saturday night learning",
                   "Due today", "Undated task", "Done already", "Low 1", "Low 2"):
        assert hidden not in text
        assert hidden not in html
        assert hidden not in message.subject


@pytest.mark.django_db
def test_the_html_is_safe_for_mail_clients_inlined_and_self_contained(email):
    _, _, html = email
    lowered = html.lower()
    for tag in ("<script", "<svg", "<img", "<link", "<iframe", "<object"):
        assert tag not in lowered
    assert "url(" not in lowered
    assert "@import" not in lowered
    assert 'style="' in html
    # The card, a severity badge and a bar carry their class's rules inline.
    assert re.search(r'class="card"[^>]*style="[^"]*max-width: 640px', html)
    assert re.search(r'class="severity severity-critical"[^>]*style="[^"]*background: #b3261e',
                     html)
    assert re.search(r'class="bar"[^>]*style="[^"]*height: 10px', html)


@pytest.mark.django_db
def test_every_link_starts_with_the_site_url(email):
    message, text, html = email
    hrefs = re.findall(r'href="([^"]+)"', html)
    assert len(hrefs) > 25
    assert all(href.startswith(SITE + "/") for href in hrefs), hrefs
    urls = re.findall(r"https?://\S+", text)
    assert len(urls) > 25
    assert all(url.startswith(SITE + "/") for url in urls), urls
    assert message.extra_headers["List-Unsubscribe"].startswith(f"<{SITE}/")


@pytest.mark.django_db
def test_the_links_lead_to_the_objects_pages(email, world):
    _, text, html = email
    critical = world["critical"]
    assert f"{SITE}/incidents/{critical.public_id}/" in text
    assert f'href="{SITE}/incidents/{critical.public_id}/"' in html
    dashboard = f"{SITE}/teams/comms/dashboard/?from=2026-11-16&to=2026-11-22"
    assert f"The whole week on the dashboard: {dashboard}" in text
    assert f'href="{dashboard.replace("&", "&amp;")}"' in html
    assert f"Digest settings: {SITE}/accounts/profile/#digest" in text


# ---------------------------------------------------------------------------------------------
# A quiet week


@pytest.mark.django_db
def test_a_quiet_week_picks_the_teams_latest_adopted_learning(world):
    digest = digest_build(team=world["quiet"], period=QUIET_WEEK)
    assert digest.is_quiet is True
    assert digest.pick.title == "Newest adopted"
    manager = MembershipFactory(team=world["quiet"], role=Role.MANAGER)
    message, text, html = render(digest, manager)
    assert message.subject == "Quiet weekly digest, 2–8 November 2026: a quiet week"
    assert "A quiet week: Quiet logged no incident" in text
    assert "Newest adopted (adopted 1 October 2026)" in text
    assert "Newest adopted</a>" in html
    assert "YOUR INCIDENTS THIS WEEK" not in text


@pytest.mark.django_db
def test_a_quiet_week_without_an_adopted_learning_picks_the_best_answered_library_case(world):
    digest = digest_build(team=world["quieter"], period=QUIET_WEEK)
    assert digest.is_quiet is True
    # Response score 4, and not archived (the archived case scores 4 too, and is critical).
    assert isinstance(digest.pick, Incident)
    assert digest.pick.title == "Other medium unrelated"
    manager = MembershipFactory(team=world["quieter"], role=Role.MANAGER)
    _, text, _ = render(digest, manager)
    assert "Other medium unrelated — Acme, 1 November 2026; response score 4/4" in text


@pytest.mark.django_db
def test_a_week_with_only_a_shared_case_elsewhere_is_not_quiet(world):
    shared(world["other"], "A case this quiet week", utc(2026, 11, 4, 12))
    digest = digest_build(team=world["quiet"], period=QUIET_WEEK)
    assert (digest.is_quiet, digest.elsewhere_total, digest.pick) == (False, 1, None)


# ---------------------------------------------------------------------------------------------
# Full lists, size and queries

LONG = "x" * 190


def fill(team, other, n: int, *, tag: str) -> None:
    """n more of everything, each title 200 characters long."""
    owner = UserFactory(display_name="O" * 120)
    for i in range(n):
        title = f"{tag}{i:04d}{LONG}"[:200]
        incident(team, title, date(2026, 11, 16 + i % 7), ("low", "high", "critical")[i % 3])
        shared(other, title, utc(2026, 11, 17, 12, i % 60), ("low", "high", "critical")[i % 3])
        made = learning(team, title, created=utc(2026, 11, 17, 12, i % 60), status="adopted",
                        adopted_at=utc(2026, 11, 18, 12))
        item(made, title, owner=owner, due_on=date(2026, 11, 1))


@pytest.mark.django_db
def test_with_every_list_full_of_200_character_titles_the_html_stays_under_100_kb(world):
    team = TeamFactory(name="F" * 120, slug="full", timezone="America/New_York")
    fill(team, world["other"], 15, tag="full")
    manager = MembershipFactory(team=team, role=Role.MANAGER,
                                user=UserFactory(display_name="M" * 120))
    digest = digest_build(team=team, period=WEEK)
    assert [len(digest.own_incidents), len(digest.elsewhere), len(digest.learnings_created),
            len(digest.learnings_adopted), len(digest.overdue)] == [10, 5, 10, 10, 10]
    message, text, html = render(digest, manager)
    assert len(html.encode()) < 100_000
    assert len(text.encode()) < 100_000
    # The whole email, both parts and headers, encoded for the wire.
    assert len(message.message().as_bytes()) < 100_000


@pytest.mark.django_db
def test_building_a_digest_takes_the_same_queries_for_a_small_and_a_larger_week(
        world, django_assert_num_queries):
    with django_assert_num_queries(BUILD_QUERIES):
        small = digest_build(team=world["team"], period=WEEK)
    fill(world["team"], world["other"], 40, tag="more")
    with django_assert_num_queries(BUILD_QUERIES):
        larger = digest_build(team=world["team"], period=WEEK)
    assert (small.own_total, larger.own_total) == (12, 52)
    assert (small.elsewhere_total, larger.elsewhere_total) == (7, 47)


@pytest.mark.django_db
def test_a_quiet_weeks_digest_reads_its_pick_in_one_more_query(world, django_assert_num_queries):
    # The numbers, the week's shared incidents, the learnings and the pick (a learning).
    with django_assert_num_queries(BUILD_QUERIES - 2 + 1):
        digest_build(team=world["quiet"], period=QUIET_WEEK)


@pytest.mark.django_db
@pytest.mark.parametrize("recipients", [1, 10])
def test_rendering_each_members_email_takes_no_query(world, recipients,
                                                     django_assert_num_queries):
    for _ in range(recipients - 1):
        MembershipFactory(team=world["team"], role=Role.MANAGER)
    digest = digest_build(team=world["team"], period=WEEK)
    memberships = list(digest_recipients(world["team"]))
    assert len(memberships) == recipients
    with django_assert_num_queries(0):
        messages = [render(digest, membership)[0] for membership in memberships]
    assert sorted(message.to[0] for message in messages) == sorted(
        membership.user.email for membership in memberships)



@pytest.mark.django_db
def test_a_week_of_many_new_learnings_still_lists_those_adopted(world, django_assert_num_queries):
    for i in range(20):
        learning(world["team"], f"Busy week {i:02d}", created=utc(2026, 11, 22, 12, i))
    with django_assert_num_queries(BUILD_QUERIES):
        digest = digest_build(team=world["team"], period=WEEK)
    assert titles(digest.learnings_created) == ["Late Sunday learning"] + [
        f"Busy week {i:02d}" for i in range(19, 10, -1)]
    assert titles(digest.learnings_adopted) == ["Created and adopted", "Adopted this week"]
    assert (digest.created_total, digest.adopted_total) == (24, 2)


@pytest.mark.django_db
def test_learnings_adopted_are_listed_by_adoption_newest_first(world):
    learning(world["team"], "Made long ago, adopted on Sunday", created=utc(2026, 3, 1),
             status="adopted", adopted_at=utc(2026, 11, 22, 15))
    digest = digest_build(team=world["team"], period=WEEK)
    assert titles(digest.learnings_adopted) == [
        "Made long ago, adopted on Sunday", "Created and adopted", "Adopted this week"]


@pytest.mark.django_db
def test_a_team_name_with_markup_is_plain_in_the_subject_and_text_and_escaped_in_the_html(world):
    team = world["quiet"]
    team.name = "Tom & Jerry's <b>comms</b>"
    team.save()
    digest = digest_build(team=team, period=QUIET_WEEK)
    message, text, html = render(digest, MembershipFactory(team=team, role=Role.MANAGER))
    assert message.subject == ("Tom & Jerry's <b>comms</b> weekly digest, 2–8 November 2026: "
                               "a quiet week")
    assert text.startswith("Tom & Jerry's <b>comms</b> — weekly digest\n")
    assert "<b>" not in html
    assert "Tom &amp; Jerry's &lt;b&gt;comms&lt;/b&gt; weekly digest, 2–8 November" in html


@pytest.mark.django_db
def test_every_link_of_the_email_opens_a_page_for_its_recipient(email, world, client):
    _, text, _ = email
    client.force_login(world["ann"].user)
    urls = sorted(set(re.findall(rf"{re.escape(SITE)}(/\S*)", text)))
    assert len(urls) > 25
    for url in urls:
        path = url.split("#")[0]
        assert client.get(path).status_code == 200, path
    # The "2 more" link lists the two own incidents the email left out.
    more = client.get("/incidents/?team=comms&origin=own&occurred_after=2026-11-16"
                      "&occurred_before=2026-11-22").content.decode()
    assert "Low 1" in more
    assert "Low 2" in more
    assert "Last week slip" not in more


@pytest.mark.django_db
def test_a_week_across_the_autumn_clock_change_counts_london_days(world):
    # 19–25 October 2026 in London: BST (UTC+1) until 02:00 on Sunday 25, then GMT.
    london = TeamFactory(name="London", slug="london", timezone="Europe/London")
    learning(london, "Monday 00:30 BST", created=utc(2026, 10, 18, 23, 30))
    learning(london, "Sunday 23:30 GMT", created=utc(2026, 10, 25, 23, 30))
    learning(london, "Sunday before, 23:59 BST", created=utc(2026, 10, 18, 22, 59))
    learning(london, "Monday after, 00:00 GMT", created=utc(2026, 10, 26, 0, 0))
    shared(world["other"], "Shared at 00:30 BST on Monday", utc(2026, 10, 18, 23, 30))
    shared(world["other"], "Shared at 23:59 BST the Sunday before", utc(2026, 10, 18, 22, 59))
    digest = digest_build(team=london,
                          period=Period(start=date(2026, 10, 19), end=date(2026, 10, 25)))
    assert titles(digest.learnings_created) == ["Sunday 23:30 GMT", "Monday 00:30 BST"]
    assert titles(digest.elsewhere) == ["Shared at 00:30 BST on Monday"]


@pytest.mark.django_db
def test_a_week_not_yet_over_says_so_far_and_its_links_stop_at_today(world, client):
    # Thursday 19 November in New York: the week of 16–22 November is being gathered.
    with time_machine.travel(utc(2026, 11, 19, 17, 0), tick=False):
        digest = digest_build(team=world["team"], period=WEEK)
        message, text, html = render(digest, world["ann"])
        client.force_login(world["ann"].user)
        dashboard = re.search(rf"{re.escape(SITE)}(/teams/comms/dashboard/\S*)", text).group(1)
        assert dashboard == "/teams/comms/dashboard/?from=2026-11-16&to=2026-11-19"
        assert client.get(dashboard).status_code == 200
    assert digest.in_progress is True
    assert "16–22 November 2026 (so far: the week is not over)" in text
    assert "16–22 November 2026 (so far)</h1>" in html
    assert "occurred_before=2026-11-19" in text


@pytest.mark.django_db
def test_a_week_that_has_ended_is_not_so_far(digest, email):
    _, text, html = email
    assert digest.in_progress is False
    assert "so far" not in text
    assert "so far" not in html


@pytest.mark.django_db
def test_the_message_id_header_fits_on_one_line(world, digest):
    message_id = new_message_id()
    raw = digest_message(digest, world["ann"], message_id=message_id).message().as_bytes()
    assert f"\nMessage-ID: {message_id}\n".encode() in raw.replace(b"\r\n", b"\n")
    assert message_id.endswith("@misfire.example.org>")
