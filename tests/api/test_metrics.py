"""The metrics API: /teams/{slug}/metrics/ answers the team dashboard's numbers over a period
for every member of the team and 404 for anyone else; a bad period is a 400 naming its
parameter; /library/metrics/ answers the library dashboard's numbers to any caller.

One small world, built once, with time frozen on Sunday 22 November 2026 (London): comms'
incidents in the period, before it, archived and long ago; elsewhere's private and shared
incidents that comms' numbers must not count; comms' learnings and action items, one archived.
"""

from datetime import UTC, date, datetime

import pytest
import time_machine

from accounts.models import Role
from common.middleware import MESSAGE as NUL_MESSAGE
from learnings.services import (
    action_item_archive,
    action_item_create,
    learning_archive,
    learning_change_status,
    learning_create_from_incidents,
)
from tests.api.conftest import token_client
from tests.conftest import built_once
from tests.factories import (
    IncidentFactory,
    MembershipFactory,
    OrganizationFactory,
    TeamFactory,
    UserFactory,
    cause,
)

NOW = datetime(2026, 11, 22, 12, 0, tzinfo=UTC)
METRICS = "/api/v1/teams/comms/metrics/"
LIBRARY = "/api/v1/library/metrics/"
# Three Monday-start weeks, and the 21 days before them (12 October to 1 November).
CUSTOM = {"from": "2026-11-02", "to": "2026-11-22"}


def at(day: int, month: int = 11, hour: int = 10, minute: int = 0) -> datetime:
    return datetime(2026, month, day, hour, minute, tzinfo=UTC)


@pytest.fixture(autouse=True)
def frozen():
    with time_machine.travel(NOW, tick=False):
        yield


@pytest.fixture(scope="module")
def data(django_db_setup, django_db_blocker):
    with built_once(django_db_blocker), time_machine.travel(NOW, tick=False):
        team = TeamFactory(name="Comms", slug="comms", timezone="Europe/London")
        elsewhere = TeamFactory(name="Elsewhere", slug="elsewhere")
        people = {role: MembershipFactory(team=team, role=role,
                                          user=UserFactory(email=f"{role}@example.com")).user
                  for role in (Role.MEMBER, Role.VIEWER)}
        member = people[Role.MEMBER]
        outsider = MembershipFactory(team=elsewhere, role=Role.MANAGER,
                                     user=UserFactory(email="outsider@example.com")).user
        acme = OrganizationFactory(name="Acme Air", slug="acme-air")
        brew = OrganizationFactory(name="Brew Co", slug="brew-co")
        slip, tone, timing = (cause("production-slip"), cause("tone-deaf-creative"),
                              cause("insensitive-timing"))

        def incident(**kwargs):
            kwargs.setdefault("team", team)
            kwargs.setdefault("organization", acme)
            kwargs.setdefault("primary_cause", slip)
            return IncidentFactory(created_by=member, **kwargs)

        own = {
            # Detected, answered after 30 and 60 minutes: a median of 45.
            "a": incident(occurred_on=date(2026, 11, 3), detected_at=at(3),
                          first_response_at=at(3, minute=30), acknowledged=True,
                          apologized=True, response_score=2),
            "b": incident(occurred_on=date(2026, 11, 10), detected_at=at(10),
                          first_response_at=at(10, hour=11), acknowledged=True,
                          apologized=True, explained_fix=True, response_score=3),
            "c": incident(occurred_on=date(2026, 11, 20), primary_cause=tone),
        }
        # Another organisation's failure that comms logged and shares in the library.
        external = incident(occurred_on=date(2026, 11, 5), origin="external",
                            visibility="library", organization=brew, platform="facebook",
                            severity="high", acknowledged=True, response_score=1)
        before = incident(occurred_on=date(2026, 10, 20))  # the previous period
        incident(occurred_on=date(2026, 10, 15), origin="external", primary_cause=timing)
        incident(occurred_on=date(2026, 11, 12), archived_at=at(13))  # archived
        incident(occurred_on=date(2026, 8, 1))  # before both periods
        # Elsewhere's: private, and shared (comms reads it, but it is not comms' own).
        their_private = incident(team=elsewhere, occurred_on=date(2026, 11, 4),
                                 visibility="team", title="Elsewhere's secret")
        their_shared = incident(team=elsewhere, occurred_on=date(2024, 3, 1),
                                origin="external", visibility="library", organization=brew,
                                severity="high", acknowledged=True, apologized=True,
                                asked_for_help=True, response_score=3)
        incident(team=elsewhere, occurred_on=date(2025, 6, 1), visibility="library",
                 archived_at=at(1, month=7))  # shared, but archived

        def learning(title, incidents, day):
            with time_machine.travel(at(day), tick=False):
                found, _ = learning_create_from_incidents(
                    user=member, team=team, incident_ids=[i.public_id for i in incidents],
                    title=title, owner=member)
            return found

        # Drawn from another organisation's failure, adopted on 7 November: incident b
        # (same cause, 10 November) is a repeat; a (3 November) is not.
        adopted = learning("Check the print run", [external], 6)
        with time_machine.travel(at(7), tick=False):
            learning_change_status(user=member, learning=adopted, status="adopted")
        drafted = learning("Slow down", [own["a"]], 4)
        proposed = learning("Two pairs of eyes", [before], 1)
        with time_machine.travel(at(2), tick=False):
            learning_change_status(user=member, learning=proposed, status="proposed")
        put_away = learning("Archived thought", [own["b"]], 8)
        # Made on 8 November, before the due dates that have passed since.
        with time_machine.travel(at(8), tick=False):
            action_item_create(user=member, learning=adopted, title="Later",
                               due_on=date(2026, 11, 30))
            action_item_create(user=member, learning=adopted, title="Late",
                               due_on=date(2026, 11, 20))
            action_item_create(user=member, learning=adopted, title="Done", done=True)
            gone = action_item_create(user=member, learning=adopted, title="Archived item",
                                      due_on=date(2026, 11, 10))
            action_item_create(user=member, learning=put_away, title="On an archived learning",
                               due_on=date(2026, 11, 10))
            # Elsewhere's learning and action: never comms'.
            theirs, _ = learning_create_from_incidents(
                user=outsider, team=elsewhere, incident_ids=[their_private.public_id],
                title="Elsewhere's lesson", owner=outsider)
            action_item_create(user=outsider, learning=theirs, title="Theirs",
                               due_on=date(2026, 11, 10))
        action_item_archive(user=member, item=gone)
        learning_archive(user=member, learning=put_away)
        yield {"team": team, "elsewhere": elsewhere, "member": member, "outsider": outsider,
               "viewer": people[Role.VIEWER], "own": own, "external": external,
               "their_shared": their_shared, "adopted": adopted, "drafted": drafted}


@pytest.fixture
def world(data, db):
    return data


def ids(*objects) -> list[str]:
    return [str(obj.public_id) for obj in objects]


def expected_custom(world) -> dict:
    own = world["own"]
    return {
        "team": "comms", "from": "2026-11-02", "to": "2026-11-22",
        "incidents": {"own": 3, "external": 1},
        "incidents_per_week": [
            {"week": "2026-11-02", "own": 1, "external": 1},
            {"week": "2026-11-09", "own": 1, "external": 0},
            {"week": "2026-11-16", "own": 1, "external": 0},
        ],
        "causes": [
            {"cause": "production-slip", "own": 2, "external": 1, "own_before": 1,
             "external_before": 0},
            {"cause": "tone-deaf-creative", "own": 1, "external": 0, "own_before": 0,
             "external_before": 0},
        ],
        "learnings": {"draft": 1, "proposed": 1, "adopted": 1, "retired": 0, "created": 2,
                      "adopted_in_period": 1},
        "action_items": {"open": 2, "overdue": 1, "done": 1},
        "learning_ratio": 0.33,
        "repeat_causes": 1,
        "median_minutes_to_first_response": 45,
        "mean_response_score": 1.67,
        "recent_incidents": ids(own["c"], own["b"], world["external"], own["a"]),
        "recent_learnings": ids(world["adopted"], world["drafted"]),
    }


# The team's numbers --------------------------------------------------------------------


@pytest.mark.parametrize("role", ["member", "viewer"])
def test_a_member_of_the_team_reads_its_numbers_over_a_custom_period(api, world, role):
    response = api(world[role]).get(METRICS, CUSTOM)
    assert response.status_code == 200
    assert response.json() == expected_custom(world)
    assert "no-store" in response["Cache-Control"]


def test_decimals_are_json_numbers_and_missing_numbers_are_null(api, world):
    content = api(world["viewer"]).get(METRICS, CUSTOM).content
    assert b'"learning_ratio":0.33,' in content
    assert b'"mean_response_score":1.67,' in content
    # A period with no own incident: no ratio, no median, no mean.
    body = api(world["viewer"]).get(METRICS, {"from": "2026-11-04", "to": "2026-11-05"}).json()
    assert body["incidents"] == {"own": 0, "external": 1}
    assert (body["learning_ratio"], body["median_minutes_to_first_response"],
            body["mean_response_score"], body["repeat_causes"]) == (None, None, None, 0)


def test_the_default_period_is_the_last_90_days_by_monday_weeks(api, world):
    body = api(world["member"]).get(METRICS).json()
    assert (body["from"], body["to"]) == ("2026-08-25", "2026-11-22")
    weeks = [week["week"] for week in body["incidents_per_week"]]
    assert (weeks[0], weeks[-1], len(weeks)) == ("2026-08-24", "2026-11-16", 13)
    # 20 and 15 October are in it too; 1 August is in the 90 days before; the archived
    # incident is in neither.
    assert body["incidents"] == {"own": 4, "external": 2}
    assert [(c["cause"], c["own"] + c["external"]) for c in body["causes"]] == [
        ("production-slip", 4), ("insensitive-timing", 1), ("tone-deaf-creative", 1)]
    assert body["causes"][0] == {"cause": "production-slip", "own": 3, "external": 1,
                                 "own_before": 1, "external_before": 0}
    assert api(world["member"]).get(METRICS, {"period": "90d"}).json() == body


@pytest.mark.parametrize(("period", "start"), [("30d", "2026-10-24"), ("12m", "2025-11-23")])
def test_a_named_period_ends_today(api, world, period, start):
    body = api(world["member"]).get(METRICS, {"period": period}).json()
    assert (body["from"], body["to"]) == (start, "2026-11-22")


def test_unknown_query_parameters_are_ignored_as_elsewhere_in_the_api(api, world):
    response = api(world["member"]).get(METRICS, {**CUSTOM, "team": "elsewhere", "x": "1"})
    assert response.status_code == 200
    assert response.json() == expected_custom(world)


def test_a_token_reads_its_team_and_a_token_limited_to_it_too(world):
    for kwargs in ({}, {"team": world["team"]}, {"read_only": True}):
        client, _ = token_client(world["viewer"], **kwargs)
        response = client.get(METRICS, CUSTOM)
        assert response.status_code == 200, kwargs
        assert response.json() == expected_custom(world)


NOT_FOUND = {"detail": "No such team.", "errors": {}}


@pytest.mark.parametrize("path", [METRICS, "/api/v1/teams/no-such-team/metrics/"])
def test_an_outsider_gets_404_for_another_teams_numbers_and_an_unknown_team(api, world, path):
    response = api(world["outsider"]).get(path, CUSTOM)
    assert response.status_code == 404
    assert response.json() == NOT_FOUND


def test_a_token_limited_to_another_team_gets_404(world):
    MembershipFactory(team=world["elsewhere"], user=world["member"], role=Role.MEMBER)
    client, _ = token_client(world["member"], team=world["elsewhere"])
    response = client.get(METRICS)
    assert response.status_code == 404
    assert response.json() == NOT_FOUND
    # The same token reads its own team's numbers.
    assert client.get("/api/v1/teams/elsewhere/metrics/").status_code == 200


def test_the_404_comes_before_the_period_is_read(api, world):
    """An outsider learns nothing from a bad period either: not even that the team exists."""
    response = api(world["outsider"]).get(METRICS, {"period": "forever"})
    assert response.status_code == 404
    assert response.json() == NOT_FOUND


def test_anonymous_gets_401(api, world):
    response = api().get(METRICS)
    assert response.status_code == 401
    assert set(response.json()) == {"detail", "errors"}


# Bad periods -----------------------------------------------------------------------------

PERIOD_CHOICE = "Choose one of 30d, 90d, 12m, or give from and to."
NOT_A_DATE = "Enter a date as YYYY-MM-DD."


@pytest.mark.parametrize(("params", "errors"), [
    ({"period": "forever"}, {"period": [PERIOD_CHOICE]}),
    ({"period": "30D"}, {"period": [PERIOD_CHOICE]}),
    ({"period": "7d"}, {"period": [PERIOD_CHOICE]}),
    ({"period": "30d", "from": "2026-11-01"},
     {"period": ["Give either period or from and to, not both."]}),
    ({"from": "2026-11-31", "to": "2026-11-22"}, {"from": [NOT_A_DATE]}),
    ({"from": "yesterday", "to": "today"}, {"from": [NOT_A_DATE], "to": [NOT_A_DATE]}),
    ({"from": "2026-11-01"}, {"to": ["Give to as well, as YYYY-MM-DD."]}),
    ({"to": "2026-11-01"}, {"from": ["Give from as well, as YYYY-MM-DD."]}),
    ({"from": "2026-11-10", "to": "2026-11-01"},
     {"from": ["The range must start on or before its last day."]}),
    ({"from": "2026-11-01", "to": "2026-11-23"}, {"to": ["That date is in the future."]}),
    ({"from": "1989-12-31", "to": "2026-11-01"},
     {"from": ["Misfire counts from 1990 on: check the year."]}),
    ({"from": "2020-01-01", "to": "2026-11-01"}, {"to": ["A range can span at most 1098 days."]}),
    ({"from": "9" * 5_000, "to": "2026-11-02"}, {"from": [NOT_A_DATE]}),
])
def test_a_bad_period_is_a_400_naming_the_parameter(api, world, params, errors):
    response = api(world["viewer"]).get(METRICS, params)
    assert response.status_code == 400
    name, messages = next(iter(errors.items()))
    more = sum(map(len, errors.values())) - 1
    detail = f"{name}: {messages[0]}" + (f" (and {more} more)" if more else "")
    assert response.json() == {"detail": detail, "errors": errors}


@pytest.mark.parametrize(("params", "name"), [
    ({"from": "2026-11-01\u0000", "to": "2026-11-02"}, "from"), ({"period": "\u0000"}, "period"),
])
def test_a_nul_in_a_parameter_is_the_apis_400_naming_it(api, world, params, name):
    response = api(world["viewer"]).get(METRICS, params)
    assert response.status_code == 400
    assert response.json() == {"detail": NUL_MESSAGE, "errors": {name: [NUL_MESSAGE]}}


@pytest.mark.parametrize("raw", [
    b"period=\xff\xfe\xc3(", b"from=\xff\xfe&to=2026-11-02", b"from=2026-11-01&to=\xc3(",
    b"period=%ff%fe", b"from=%E2%80%AE2026-11-01&to=2026-11-02", b"period&from&to",
    b"from=\x00&to=\x00", b"=&&=&period=",
])
def test_garbage_bytes_in_the_query_string_are_a_400_or_the_default_never_a_500(api, world,
                                                                               raw):
    # Latin-1 keeps each raw byte as one character: the WSGI way of passing bytes.
    response = api(world["viewer"]).get(f"{METRICS}?{raw.decode('latin-1')}")
    body = response.json()
    if raw in (b"period&from&to", b"=&&=&period="):  # empty values: the default period
        assert response.status_code == 200
        assert (body["from"], body["to"]) == ("2026-08-25", "2026-11-22")
    else:
        assert response.status_code == 400
        assert set(body) == {"detail", "errors"}
        assert set(body["errors"]) <= {"period", "from", "to"}
        assert body["errors"]


# The library's numbers -------------------------------------------------------------------


def expected_library() -> dict:
    severities = [{"severity": severity, "incidents": 0, "acknowledged": 0, "apologized": 0,
                   "explained_fix": 0, "asked_for_help": 0}
                  for severity in ("low", "medium", "high", "critical")]
    severities[2] = {"severity": "high", "incidents": 2, "acknowledged": 2, "apologized": 1,
                     "explained_fix": 0, "asked_for_help": 1}
    return {
        "incidents": 2,
        "causes_by_year": [{"cause": "production-slip", "name": cause("production-slip").name,
                            "years": [{"year": 2024, "incidents": 1},
                                      {"year": 2025, "incidents": 0},
                                      {"year": 2026, "incidents": 1}]}],
        "platforms": [{"platform": "facebook", "incidents": 1},
                      {"platform": "twitter", "incidents": 1}],
        "organizations": [{"organization": "brew-co", "name": "Brew Co", "incidents": 2}],
        "response_by_severity": severities,
        "score_by_cause": [{"cause": "production-slip", "incidents": 2,
                            "mean_response_score": 2.0}],
    }


@pytest.mark.parametrize("role", ["member", "viewer", "outsider"])
def test_any_signed_in_caller_reads_the_librarys_numbers(api, world, role):
    """Only shared incidents that are not archived count, whoever logged them; every team
    gets the same numbers (comms' and elsewhere's private incidents are in none)."""
    response = api(world[role]).get(LIBRARY)
    assert response.status_code == 200
    assert response.json() == expected_library()
    assert "no-store" in response["Cache-Control"]


def test_a_token_limited_to_a_team_reads_the_librarys_numbers(world):
    client, _ = token_client(world["outsider"], team=world["elsewhere"], read_only=True)
    response = client.get(LIBRARY, {"period": "forever"})  # not a parameter here: ignored
    assert response.status_code == 200
    assert response.json() == expected_library()


def test_the_library_route_is_not_the_not_found_route_and_has_no_list(api, world):
    client = api(world["member"])
    assert client.get(LIBRARY).status_code == 200
    for path in ("/api/v1/library/", "/api/v1/library/metrics", "/api/v1/library/x/"):
        response = client.get(path)
        assert response.status_code == 404, path
        assert set(response.json()) == {"detail", "errors"}
    assert "library" not in client.get("/api/v1/").json()


def test_anonymous_gets_401_for_the_library(api, world):
    assert api().get(LIBRARY).status_code == 401
