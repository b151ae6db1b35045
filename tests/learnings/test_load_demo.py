"""manage.py load_demo: the shared library seed, a demo team, its people, own incidents and the
external incidents it logged (incidents.demo), and its learnings and action items
(learnings.demo).

The demo is loaded once for the module and the tests only read it; a test that loads it again
does so inside its own transaction, rolled back after it.
"""

import csv
from decimal import Decimal
from io import StringIO

import pytest
from django.core.management import call_command
from django.http import HttpRequest

from accounts.models import Membership, Team, User
from dashboards.metrics import team_metrics
from dashboards.periods import period_from
from incidents.demo import DEMO_PEOPLE, EXTERNAL_INCIDENTS
from incidents.links import normalize_link
from incidents.models import Incident, Organization, Source, TimelineEvent
from incidents.seed import LIBRARY_TEAM, SEED_CSV
from learnings.demo import ALLERGEN_REPLY
from learnings.models import ActionItem, Learning, LearningStatus
from learnings.selectors import incident_repeat_of

from ..conftest import built_once

pytestmark = pytest.mark.django_db


def load_demo() -> str:
    out = StringIO()
    call_command("load_demo", stdout=out)
    return out.getvalue()


def seed_rows() -> list[dict]:
    with SEED_CSV.open(newline="", encoding="utf-8") as handle:
        return list(csv.DictReader(handle))


def counts() -> dict[str, int]:
    return {
        "incidents": Incident.objects.count(),
        "incident history": Incident.history.count(),
        "organisations": Organization.objects.count(),
        "sources": Source.objects.count(),
        "timeline events": TimelineEvent.objects.count(),
        "users": User.objects.count(),
        "teams": Team.objects.count(),
        "memberships": Membership.objects.count(),
        "learnings": Learning.objects.count(),
        "learning history": Learning.history.count(),
        "action items": ActionItem.objects.count(),
        "action item history": ActionItem.history.count(),
    }


@pytest.fixture(scope="module")
def demo(django_db_setup, django_db_blocker):
    """What the first run printed; the data stays until the module ends."""
    with built_once(django_db_blocker):
        yield load_demo()


def test_seed_file_holds_forty_cases():
    assert len(seed_rows()) == 40


def test_library_holds_the_forty_seed_cases_and_seven_the_demo_team_shared(demo):
    library = Incident.objects.filter(team__slug=LIBRARY_TEAM["slug"])
    assert library.count() == 40
    assert set(library.values_list("visibility", "origin")) == {("library", "external")}
    shared = Incident.objects.filter(visibility="library")
    assert shared.count() == 47
    assert shared.exclude(team__slug=LIBRARY_TEAM["slug"]).count() == 7
    assert set(shared.values_list("origin", flat=True)) == {"external"}


def test_demo_team_has_eight_own_private_incidents(demo):
    own = Incident.objects.filter(team__slug="demo", origin="own")
    assert own.count() == 8
    assert set(own.values_list("visibility", flat=True)) == {"team"}
    assert set(own.values_list("organization__name", flat=True)) == {"Northwind Coffee"}


def test_demo_team_logged_thirteen_external_incidents_seven_shared_six_kept_to_itself(demo):
    external = Incident.objects.filter(team__slug="demo", origin="external")
    assert external.count() == 13
    assert external.filter(visibility="library").count() == 7
    assert external.filter(visibility="team").count() == 6
    assert set(external.values_list("title", flat=True)) == {
        row[1] for row in EXTERNAL_INCIDENTS}
    # Other organisations' failures: none of them Northwind's, none a library seed case.
    organizations = set(external.values_list("organization__name", flat=True))
    assert len(organizations) == 13
    assert "Northwind Coffee" not in organizations
    assert not organizations & {row["organization"] for row in seed_rows()}
    assert not set(external.values_list("title", flat=True)) & {
        row["title"] for row in seed_rows()}
    # Made by both writers of the team.
    assert set(external.values_list("created_by__email", flat=True)) == {
        "manager@demo.misfire.test", "member@demo.misfire.test"}


def test_demo_people_can_log_in_with_the_demo_password(demo, client):
    team = Team.objects.get(slug="demo")
    assert Membership.objects.filter(team=team).count() == 3
    for email, name, role in DEMO_PEOPLE:
        user = User.objects.get(email=email)
        assert user.display_name == name
        assert Membership.objects.get(user=user, team=team).role == role
        # django-axes throttles sign-ins by request: authenticate() needs one.
        assert client.login(request=HttpRequest(), email=email, password="misfire-demo") is True
        client.logout()


def test_demo_prints_the_logins_and_what_it_loaded(demo):
    assert "misfire-demo" in demo
    for email, _, _ in DEMO_PEOPLE:
        assert email in demo
    assert "Library: 40 incidents loaded" in demo
    assert "8 own incidents added, 0 already there; " in demo
    assert "13 external incidents added, 0 already there." in demo
    assert "Learnings: 9 added, 0 already there" in demo
    assert "(1 draft, 1 proposed, 6 adopted, 1 retired)" in demo
    assert "16 action items added, 2 overdue" in demo


def test_a_second_run_says_everything_was_already_there(demo):
    again = load_demo()
    assert "Library: 0 incidents loaded, 40 already there" in again
    assert "0 own incidents added, 8 already there; " in again
    assert "0 external incidents added, 13 already there." in again
    assert "Learnings: 0 added, 9 already there" in again
    assert "0 action items added" in again


def test_running_it_twice_changes_no_counts(demo):
    before = counts()
    updated = dict(Learning.objects.values_list("title", "updated_at"))
    load_demo()
    assert counts() == before
    assert dict(Learning.objects.values_list("title", "updated_at")) == updated


def test_each_seed_case_keeps_its_coding_from_the_csv(demo):
    library = Incident.objects.filter(team__slug=LIBRARY_TEAM["slug"])
    for row in seed_rows():
        incident = library.get(title=row["title"])
        assert incident.primary_cause.slug == row["primary_cause"], row["title"]
        assert set(incident.contributing_causes.values_list("slug", flat=True)) == {
            slug for slug in row["contributing_causes"].split("|") if slug
        }, row["title"]
        assert incident.organization.name == row["organization"], row["title"]
        assert incident.platform == row["platform"], row["title"]
        assert incident.severity == row["severity"], row["title"]
        assert incident.occurred_on.isoformat() == row["occurred_on"], row["title"]
        assert incident.acknowledged == (row["acknowledged"] == "true"), row["title"]
        assert incident.deleted_silently == (row["deleted_silently"] == "true"), row["title"]
        urls = list(incident.sources.values_list("url", flat=True))
        # Stored under the one normalised spelling of the link.
        assert urls == ([normalize_link(row["source_url"])] if row["source_url"] else []), \
            row["title"]


def test_demo_incidents_have_response_scores_and_a_first_response(demo):
    first = Incident.objects.get(team__slug="demo", title__startswith="Pumpkin-spice")
    assert first.response_score == 3
    assert first.timeline.count() == 3
    apology = first.timeline.get(kind="apology")
    assert first.first_response_at == apology.at
    deleted = Incident.objects.get(team__slug="demo", title__startswith="Reply deleted")
    assert deleted.response_score == 0
    assert deleted.deleted_silently is True


# Learnings and action items ------------------------------------------------------------------


@pytest.fixture
def demo_team(demo):
    return Team.objects.get(slug="demo")


@pytest.fixture
def demo_manager(demo):
    return User.objects.get(email="manager@demo.misfire.test")


def test_demo_team_has_nine_learnings_in_every_status(demo_team):
    learnings = Learning.objects.filter(team=demo_team)
    assert learnings.count() == 9
    assert Learning.objects.exclude(team=demo_team).count() == 0
    statuses = sorted(learnings.values_list("status", flat=True))
    assert statuses == sorted(["adopted"] * 6 + ["proposed", "draft", "retired"])
    assert set(learnings.values_list("owner__email", flat=True)) == {
        "manager@demo.misfire.test", "member@demo.misfire.test"}
    for learning in learnings:
        assert learning.lesson, learning.title
        assert learning.practice, learning.title
        assert learning.incidents.exists(), learning.title


def test_learnings_keep_their_status_dates_in_order(demo_team):
    for learning in Learning.objects.filter(team=demo_team):
        assert learning.created_at <= learning.status_changed_at <= learning.updated_at
        if learning.status == LearningStatus.ADOPTED:
            assert learning.created_at < learning.adopted_at == learning.status_changed_at
        if learning.status == LearningStatus.RETIRED:
            assert learning.adopted_at < learning.retired_at == learning.status_changed_at
            assert learning.retired_reason
        history = list(learning.history.order_by("history_date"))
        assert history[0].history_date == learning.created_at
        assert history[-1].status == learning.status
        assert history[-1].history_date == learning.status_changed_at


def test_learnings_are_drawn_from_library_own_and_both(demo_team):
    learnings = Learning.objects.filter(team=demo_team)
    external = learnings.drawn_from("external")
    own = learnings.drawn_from("own")
    both = learnings.drawn_from("both")
    assert external.count() == 3
    assert own.count() == 2
    assert both.count() == 4
    assert external.count() + own.count() + both.count() == learnings.count()
    for learning in external:
        assert set(learning.incidents.values_list("origin", flat=True)) == {"external"}
    for learning in own:
        assert set(learning.incidents.values_list("team", flat=True)) == {demo_team.pk}
    # Some from the library's cases only, one from an incident the team logged itself.
    library_only = [learning.title for learning in external
                    if set(learning.incidents.values_list("team__slug", flat=True))
                    == {LIBRARY_TEAM["slug"]}]
    assert sorted(library_only) == ["Answer criticism where it was posted; never delete it",
                                    "Find out why a hashtag is trending before we use it"]
    (logged,) = external.exclude(title__in=library_only)
    assert set(logged.incidents.values_list("team", flat=True)) == {demo_team.pk}


def test_learnings_drawn_from_the_teams_logged_external_incidents(demo_team):
    drawn = Learning.objects.filter(team=demo_team, incidents__team=demo_team,
                                    incidents__origin="external").distinct()
    assert sorted(drawn.values_list("title", flat=True)) == [
        "Auto-replies never answer a complaint",
        "Check which pages a post goes to before it goes",
        "Every brand account has two-factor sign-in and a way back in",
    ]
    for learning in drawn:
        assert learning.status == LearningStatus.ADOPTED
        assert learning.action_items.count() == 2
    # One incident the team only logged, one it shared with the library, one of each source.
    visibility = set(drawn.values_list("incidents__visibility", flat=True))
    assert visibility == {"team", "library"}


def test_one_own_incident_repeats_a_cause_an_adopted_learning_covered(demo_team, demo_manager):
    incident = Incident.objects.get(team=demo_team, title=ALLERGEN_REPLY)
    (learning,) = incident_repeat_of(user=demo_manager, incident=incident)
    assert learning.title == "Answer criticism where it was posted; never delete it"
    assert learning.status == LearningStatus.ADOPTED
    assert learning.adopted_at.date() < incident.occurred_on
    # Drawn from the library's cases of that cause, not from the incident it failed to prevent.
    assert not learning.incidents.filter(pk=incident.pk).exists()
    assert set(learning.incidents.values_list("primary_cause__slug", flat=True)) == {
        incident.primary_cause.slug}
    # The only repeat among the team's own incidents.
    repeats = [i.title for i in Incident.objects.filter(team=demo_team)
               if incident_repeat_of(user=demo_manager, incident=i)]
    assert repeats == [ALLERGEN_REPLY]


def test_action_items_some_done_some_open_two_overdue(demo_team):
    items = ActionItem.objects.filter(learning__team=demo_team).select_related("learning__team")
    assert items.count() == 16
    assert set(items.values_list("kind", flat=True)) == {"preventive", "detective", "corrective"}
    assert set(items.values_list("owner__email", flat=True)) == {
        "manager@demo.misfire.test", "member@demo.misfire.test"}
    done = [item for item in items if item.is_done]
    overdue = [item for item in items if item.is_overdue()]
    upcoming = [item for item in items if not item.is_done and not item.is_overdue()]
    assert len(done) == 10
    assert len(overdue) == 2
    assert len(upcoming) == 4
    today = demo_team.today()
    assert all(item.due_on >= today for item in upcoming)
    for item in done:
        assert item.done_by == item.owner
        assert item.created_at <= item.done_at
    for item in overdue:
        # Backdated in the history too: the item reads as made with that date.
        assert item.history.earliest("history_date").due_on == item.due_on


def demo_dashboard(team, period):
    return team_metrics(team=team, period=period_from({"period": period}, today=team.today()))


def test_demo_dashboard_over_90_days_shows_own_and_external_incidents(demo_team):
    metrics = demo_dashboard(demo_team, "90d")
    assert metrics.incidents == {"own": 4, "external": 5}
    weeks = metrics.incidents_per_week
    assert sum(week.own for week in weeks) == 4
    assert sum(week.external for week in weeks) == 5
    assert [(cause.slug, cause.own, cause.external, cause.own_before, cause.external_before)
            for cause in metrics.causes] == [
        ("defensive-response", 1, 1, 0, 0),
        ("production-slip", 1, 1, 0, 0),
        ("account-compromise", 0, 1, 0, 0),
        ("automation-misfire", 0, 1, 1, 0),
        ("cultural-insensitivity", 1, 0, 0, 1),
        ("service-failure-escalated", 1, 0, 0, 1),
        ("tone-deaf-creative", 0, 1, 0, 0),
    ]
    # Five learnings created in the period drawn from others' failures, per four own incidents.
    assert metrics.learning_ratio == Decimal("1.25")
    assert metrics.learnings["created"] == 5
    assert metrics.learnings["adopted_in_period"] == 3
    assert metrics.action_items == {"open": 6, "overdue": 2, "done": 5}
    assert metrics.repeat_causes == 1


def test_demo_dashboard_over_12_months_has_a_previous_year_to_compare_with(demo_team):
    metrics = demo_dashboard(demo_team, "12m")
    assert metrics.incidents == {"own": 8, "external": 11}
    assert sum(cause.external_before for cause in metrics.causes) == 2
    before = {cause.slug: cause.external_before for cause in metrics.causes
              if cause.external_before}
    assert before == {"insensitive-timing": 1, "participation-hijacked": 1}
    assert {cause.slug for cause in metrics.causes if cause.own and cause.external} == {
        "automation-misfire", "cultural-insensitivity", "service-failure-escalated",
        "defensive-response", "production-slip"}
    assert metrics.learning_ratio == Decimal("0.88")
    assert metrics.repeat_causes == 1


def newest_record(obj):
    """The history record a history page reads first."""
    return obj.history.order_by("-history_date", "-history_id").first()


def test_every_demo_incidents_newest_history_matches_its_page(demo):
    from incidents.history import INCIDENT, incident_history

    shown = [tracked.name for tracked in INCIDENT.fields] + [verb.field for verb in INCIDENT.verbs]
    for incident in Incident.objects.all():
        record = newest_record(incident)
        for name in shown:
            model_field = Incident._meta.get_field(name)
            if model_field.many_to_many:
                continue
            assert getattr(record, model_field.attname) == \
                getattr(incident, model_field.attname), (incident.title, name)
        for name, key in (("contributing_causes", "rootcause_id"), ("factors", "factor_id")):
            recorded = {getattr(row, key) for row in getattr(record, name).all()}
            assert recorded == set(getattr(incident, name).values_list("pk", flat=True)), \
                (incident.title, name)
        # Read as the page reads it: the latest status change ends in the page's status.
        status_changes = [change for entry in incident_history(incident, reader=incident.created_by)
                          for change in entry.changes if change.label == "Status"]
        if status_changes:
            assert status_changes[0].new == incident.get_status_display(), incident.title


def test_every_demo_learnings_newest_history_matches_its_page(demo):
    for learning in Learning.objects.all():
        record = newest_record(learning)
        for name in ("title", "lesson", "practice", "owner_id", "review_on", "retired_reason",
                     "status", "adopted_at", "retired_at", "archived_at"):
            assert getattr(record, name) == getattr(learning, name), (learning.title, name)
        assert {row.incident_id for row in record.incidents.all()} == set(
            learning.incidents.values_list("pk", flat=True)), learning.title
    for item in ActionItem.objects.all():
        record = newest_record(item)
        for name in ("title", "owner_id", "due_on", "kind", "done_at", "archived_at"):
            assert getattr(record, name) == getattr(item, name), (item.title, name)
