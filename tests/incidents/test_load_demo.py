"""manage.py load_demo: the shared library seed, a demo team, its people and own incidents."""

import csv
from io import StringIO

import pytest
from django.core.management import call_command

from accounts.models import Membership, Team, User
from incidents.management.commands.load_demo import DEMO_PASSWORD, DEMO_PEOPLE, OWN_INCIDENTS
from incidents.models import Incident, Organization, Source, TimelineEvent
from incidents.seed import LIBRARY_TEAM, SEED_CSV


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
    }


@pytest.fixture
def demo(db):
    return load_demo()


def test_seed_file_holds_forty_cases():
    assert len(seed_rows()) == 40


def test_library_holds_the_forty_seed_cases_as_shared_external_incidents(demo):
    library = Incident.objects.filter(team__slug=LIBRARY_TEAM["slug"])
    assert library.count() == 40
    assert set(library.values_list("visibility", "origin")) == {("library", "external")}
    assert Incident.objects.filter(visibility="library").count() == 40


def test_demo_team_has_eight_own_private_incidents(demo):
    own = Incident.objects.filter(team__slug="demo")
    assert own.count() == len(OWN_INCIDENTS) == 8
    assert set(own.values_list("visibility", "origin")) == {("team", "own")}
    assert set(own.values_list("organization__name", flat=True)) == {"Northwind Coffee"}


def test_demo_people_can_log_in_with_the_demo_password(demo, client):
    team = Team.objects.get(slug="demo")
    assert len(DEMO_PEOPLE) == 3
    for email, name, role in DEMO_PEOPLE:
        user = User.objects.get(email=email)
        assert user.display_name == name
        assert Membership.objects.get(user=user, team=team).role == role
        assert client.login(email=email, password="misfire-demo") is True
        client.logout()
    assert DEMO_PASSWORD == "misfire-demo"


def test_demo_prints_the_logins(demo):
    assert "misfire-demo" in demo
    for email, _, _ in DEMO_PEOPLE:
        assert email in demo


def test_running_it_twice_changes_no_counts(demo):
    before = counts()
    load_demo()
    assert counts() == before


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
        assert urls == ([row["source_url"]] if row["source_url"] else []), row["title"]


def test_demo_incidents_have_response_scores_and_a_first_response(demo):
    first = Incident.objects.get(team__slug="demo", title__startswith="Pumpkin-spice")
    assert first.response_score == 3
    assert first.timeline.count() == 3
    apology = first.timeline.get(kind="apology")
    assert first.first_response_at == apology.at
    deleted = Incident.objects.get(team__slug="demo", title__startswith="Reply deleted")
    assert deleted.response_score == 0
    assert deleted.deleted_silently is True
