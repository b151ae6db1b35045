"""The digest's doors as another team, a forger or a careless caller would try them: the
preview with odd weeks and other teams' slugs, the unsubscribe link with odd tokens and
methods, the profile's digest choices aimed at other memberships, what a team's email holds
of other teams, and send_digests with odd arguments. (Each finding was a failing test first.)
"""

import datetime as dt
import re

import pytest
import time_machine
from django.core.management import CommandError, call_command
from django.test import Client

from accounts.models import Membership, Role
from dashboards.digests import digest_build, digest_message, unsubscribe_token
from dashboards.models import DigestDelivery
from dashboards.schedule import week_named
from learnings.models import ActionItem, Learning
from tests.factories import IncidentFactory, MembershipFactory, OrganizationFactory

NOW = dt.datetime(2026, 11, 18, 12, 0, tzinfo=dt.UTC)
PREVIEW = "/teams/comms/digest/"
CSRF = re.compile(rb'value="[^"]{64}"|"X-CSRFToken": "[^"]+"')


@pytest.fixture(autouse=True)
def frozen_now():
    with time_machine.travel(NOW, tick=False):
        yield


def login(client, user) -> Client:
    client.force_login(user)
    return client


def page(response, slug: str = "") -> bytes:
    content = response.content.replace(slug.encode(), b"SLUG") if slug else response.content
    return CSRF.sub(b"", content)


def receiving() -> dict:
    return dict(Membership.objects.values_list("public_id", "receives_digest"))


def choices() -> dict:
    return {m.public_id: (m.receives_digest, m.skip_quiet_weeks)
            for m in Membership.objects.all()}


# ---------------------------------------------------------------------------------------------
# Preview


@pytest.mark.django_db
@pytest.mark.parametrize("path", [
    "/teams/elsewhere/digest/", "/teams/no-such-team/digest/", "/teams/%00/digest/",
    "/teams/comms%00/digest/", "/teams/elsewhere/digest/?week=2026-11-09",
])
def test_another_teams_or_an_odd_slug_is_the_not_found_page_of_an_unknown_team(
        client, manager, outsider, path):
    client = login(client, manager)
    unknown = client.get("/teams/nobody/digest/")
    for response in (client.get(path), client.post(path, {"week": "2026-11-09"})):
        assert response.status_code == 404
        assert page(response) == page(unknown)


@pytest.mark.django_db
def test_emailing_another_teams_preview_sends_nothing(client, manager, outsider, mailoutbox):
    response = login(client, manager).post("/teams/elsewhere/digest/", {"week": "2026-11-09"})
    assert response.status_code == 404
    assert mailoutbox == []


@pytest.mark.django_db
@pytest.mark.parametrize(("week", "error"), [
    ("0000-00-00", "Give the week as its Monday, YYYY-MM-DD (e.g. 2026-11-16)."),
    ("２０２６-１１-０９", "Give the week as its Monday, YYYY-MM-DD (e.g. 2026-11-16)."),
    ("99999999999999999999-01-01",
     "Give the week as its Monday, YYYY-MM-DD (e.g. 2026-11-16)."),
    ("2026-11-09 ", "Give the week as its Monday, YYYY-MM-DD (e.g. 2026-11-16)."),
    ("0001-01-01", "Misfire has digests from 1990 on: check the year."),
    ("1989-12-25", "Misfire has digests from 1990 on: check the year."),
    ("9999-12-27", "That week has not started yet: the latest is this week so far "
                   "(2026-11-16)."),
    ("2026-11-23", "That week has not started yet: the latest is this week so far "
                   "(2026-11-16)."),
])
def test_an_odd_week_is_a_400_with_its_message_and_sends_nothing(client, team, member, week,
                                                                  error, mailoutbox):
    client = login(client, member)
    for response in (client.get(PREVIEW, {"week": week}),
                     client.post(PREVIEW, {"week": week})):
        assert response.status_code == 400
        assert f'<ul class="errorlist" id="id_week_error" role="alert"><li>{error}</li></ul>' \
            in response.content.decode()
    assert mailoutbox == []


@pytest.mark.django_db
@pytest.mark.parametrize("week", ["2026-11-09\x00", "\x00"])
def test_a_nul_in_the_week_is_the_sites_400_and_sends_nothing(client, team, member, week,
                                                              mailoutbox):
    client = login(client, member)
    for response in (client.get(PREVIEW, {"week": week}),
                     client.post(PREVIEW, {"week": week})):
        assert response.status_code == 400
        assert "<h1>Misfire could not read that</h1>" in response.content.decode()
    assert mailoutbox == []


@pytest.mark.django_db
def test_the_first_week_of_1990_previews_and_offers_no_earlier_week(client, team, member):
    response = login(client, member).get(PREVIEW, {"week": "1990-01-01"})
    assert response.status_code == 200
    assert response.context["earlier_address"] == ""


@pytest.mark.django_db
def test_a_repeated_week_reads_the_last_one(client, team, member):
    response = login(client, member).get(PREVIEW + "?week=2026-11-02&week=2026-11-09")
    assert response.status_code == 200
    assert response.context["monday"] == dt.date(2026, 11, 9)


@pytest.mark.django_db
def test_email_me_without_the_csrf_token_is_refused_and_sends_nothing(team, member, mailoutbox):
    client = login(Client(enforce_csrf_checks=True), member)
    response = client.post(PREVIEW, {"week": "2026-11-09"})
    assert response.status_code == 403
    assert mailoutbox == []


@pytest.mark.django_db
def test_an_anonymous_post_is_sent_to_sign_in_and_sends_nothing(client, team, mailoutbox):
    response = client.post(PREVIEW, {"week": "2026-11-09"})
    assert response.status_code == 302
    assert response["Location"] == f"/accounts/login/?next={PREVIEW}"
    assert mailoutbox == []


@pytest.mark.django_db
@pytest.mark.parametrize("method", ["put", "delete", "patch", "options"])
def test_the_preview_takes_get_and_post_only(client, team, member, method):
    assert getattr(login(client, member), method)(PREVIEW).status_code == 405


@pytest.mark.django_db
def test_the_preview_limit_is_the_persons_across_teams_weeks_and_sessions(
        client, team, member, other_team, mailoutbox, eager_tasks):
    MembershipFactory(team=other_team, user=member, role=Role.VIEWER)
    weeks = ["2026-11-09", "2026-11-02", "2026-11-16", "1990-01-01", "2026-11-09"]
    for week in weeks:
        assert login(Client(), member).post(PREVIEW, {"week": week}).status_code == 302
    assert len(mailoutbox) == 5
    for path, week in [(PREVIEW, "2026-10-26"), ("/teams/elsewhere/digest/", "2026-11-09")]:
        response = login(Client(), member).post(path, {"week": week, "week ": week},
                                                HTTP_X_FORWARDED_FOR="10.9.9.9")
        assert response.status_code == 302
    assert len(mailoutbox) == 5


# ---------------------------------------------------------------------------------------------
# Unsubscribe


@pytest.fixture
def subscribed(team, member, other_team, outsider):
    for membership in Membership.objects.all():
        membership.receives_digest = True
        membership.save()
    return Membership.objects.get(user=member, team=team)


def link(token: str) -> str:
    return f"/digest/unsubscribe/{token}/"


@pytest.mark.django_db
@pytest.mark.parametrize("method", ["head", "options", "put", "delete", "patch"])
def test_no_method_but_post_changes_anything_through_the_link(subscribed, method):
    before = receiving()
    response = getattr(Client(), method)(link(unsubscribe_token(subscribed)))
    assert response.status_code == 405
    assert receiving() == before


@pytest.mark.django_db
def test_odd_tokens_get_the_invalid_link_page_and_change_nothing(subscribed, outsider):
    token = unsubscribe_token(subscribed)
    theirs = Membership.objects.get(user=outsider)
    value, signature = token.rsplit(":", 1)
    before = receiving()
    client = Client(enforce_csrf_checks=True)
    invalid = client.post(link("nothing"))
    assert invalid.status_code == 404
    for odd in [token + "\x00", token.replace(":", "\x00"), "x" * 20_000,
                f"{theirs.public_id}:{signature}", f"{value}:{signature}:{signature}",
                f"{value.upper()}:{signature}", f"{value}:", f":{signature}",
                f"{theirs.pk}:{signature}"]:
        for response in (client.get(link(odd)), client.post(link(odd))):
            assert response.status_code == 404, odd
            assert page(response) == page(invalid)
    assert client.post(f"/digest/unsubscribe/{value}/{signature}/").status_code == 404
    assert receiving() == before


@pytest.mark.django_db
@pytest.mark.parametrize(("body", "content_type"), [
    (b'{"receives_digest": true, "user": 1}', "application/json"),
    (b"\x00\xff\xfe random", "application/octet-stream"),
    (b"receives_digest=on&team=elsewhere&membership=1", "application/x-www-form-urlencoded"),
    (b"--x\r\nContent-Disposition: form-data; name=\"a\"\r\n\r\nb\r\n--x--",
     "multipart/form-data; boundary=x"),
])
def test_any_post_body_unsubscribes_exactly_the_links_membership(subscribed, body,
                                                                 content_type):
    before = receiving()
    response = Client().post(link(unsubscribe_token(subscribed)), body,
                             content_type=content_type)
    assert response.status_code == 200
    assert receiving() == {**before, subscribed.public_id: False}


@pytest.mark.django_db
def test_the_link_of_a_removed_member_is_invalid_even_after_they_rejoin(subscribed, team,
                                                                        member):
    token = unsubscribe_token(subscribed)
    subscribed.delete()
    again = MembershipFactory(team=team, user=member, role=Role.MEMBER, receives_digest=True)
    before = receiving()
    assert Client().post(link(token)).status_code == 404
    assert receiving() == before
    assert Membership.objects.get(pk=again.pk).receives_digest is True


# ---------------------------------------------------------------------------------------------
# Profile: digest choices


@pytest.mark.django_db
def test_digest_fields_naming_other_memberships_change_nothing_of_theirs(
        client, subscribed, team, manager, outsider, other_team):
    manager_row = Membership.objects.get(user=manager, team=team)
    theirs = Membership.objects.get(user=outsider)
    left = MembershipFactory(team=other_team, user=subscribed.user, role=Role.MEMBER,
                             receives_digest=True)
    left_id = left.public_id
    left.delete()
    before = choices()
    data = {"action": "digest", f"digest-receives-{subscribed.public_id}": "on"}
    for row in (manager_row, theirs):
        for key in (row.public_id, row.pk, str(row.public_id).upper(), "0", "1"):
            data[f"digest-receives-{key}"] = ""
            data[f"digest-skip_quiet-{key}"] = "on"
    data[f"digest-skip_quiet-{left_id}"] = "on"
    response = login(client, subscribed.user).post("/accounts/profile/", data)
    assert response.status_code == 302
    assert choices() == before


# ---------------------------------------------------------------------------------------------
# Team settings: last deliveries


@pytest.mark.django_db
def test_the_deliveries_section_shows_no_other_teams_delivery_or_error(
        client, team, manager, other_team, outsider):
    MembershipFactory(team=other_team, user=manager, role=Role.MEMBER)
    DigestDelivery.objects.create(team=other_team, user=manager, period_start=dt.date(2026, 11, 9),
                                  status="failed", error="outsider@example.com: 550 secret")
    DigestDelivery.objects.create(team=team, user=manager, period_start=dt.date(2026, 11, 9),
                                  status="failed", error="manager@example.com: 550 full")
    response = login(client, manager).get("/accounts/teams/comms/settings/")
    html = response.content.decode()
    assert response.status_code == 200
    assert '<span class="delivery-error">manager@example.com: 550 full</span>' in html
    assert "outsider@example.com" not in html
    assert "550 secret" not in html


# ---------------------------------------------------------------------------------------------
# send_digests


@pytest.mark.django_db
@pytest.mark.parametrize(("args", "message"), [
    (["--week", "0001-01-01"], "--week 0001-01-01: Misfire has digests from 1990 on."),
    (["--week", "1989-12-25"], "--week 1989-12-25: Misfire has digests from 1990 on."),
    (["--week", "9999-12-27"], "--week 9999-12-27: that week has not started yet."),
    (["--week", ""], "--week : give a date as YYYY-MM-DD."),
    (["--week", "2026-11-16\x00"], "--week 2026-11-16\x00: give a date as YYYY-MM-DD."),
    (["--team", "comms\x00"], "--team comms\x00: no team has this slug."),
    (["--team", ""], "--team : no team has this slug."),
])
def test_send_digests_refuses_odd_arguments_with_a_message_and_sends_nothing(
        team, manager, args, message, mailoutbox):
    for dry in ([], ["--dry-run"]):
        with pytest.raises(CommandError) as refused:
            call_command("send_digests", *args, *dry)
        assert str(refused.value) == message
    assert mailoutbox == []
    assert DigestDelivery.objects.count() == 0


# ---------------------------------------------------------------------------------------------
# The email's content: nothing of another team's private data


HIDDEN = ("Hushco Private Ltd", "Elsewhere secret slip", "Elsewhere secret lesson",
          "Elsewhere secret task", "outsider@example.com", "Olga Outsider",
          "Elsewhere best answered secret")


def _texts(team, membership, week: dt.date) -> list[str]:
    digest = digest_build(team=team, period=week_named(team, week))
    message = digest_message(digest, membership, message_id="<x@misfire.test>")
    html = next(content for content, kind in message.alternatives if kind == "text/html")
    return [message.subject, message.body, html, str(message.message())]


@pytest.mark.django_db
@pytest.mark.parametrize("quiet", [False, True])
def test_another_teams_private_incidents_organisation_learnings_items_and_people_stay_out(
        team, member, other_team, outsider, quiet):
    outsider.display_name = "Olga Outsider"
    outsider.save()
    hushco = OrganizationFactory(team=other_team, name="Hushco Private Ltd")
    created = dt.datetime(2026, 11, 10, 12, tzinfo=dt.UTC)
    secret = IncidentFactory(team=other_team, organization=hushco, created_by=outsider,
                             title="Elsewhere secret slip", occurred_on=dt.date(2026, 11, 10),
                             severity="critical", response_score=4)
    IncidentFactory(team=other_team, organization=hushco, title="Elsewhere best answered secret",
                    occurred_on=dt.date(2026, 10, 10), response_score=4, origin="external")
    lesson = Learning.objects.create(team=other_team, title="Elsewhere secret lesson",
                                     owner=outsider, status="adopted",
                                     adopted_at=created)
    lesson.incidents.set([secret])
    ActionItem.objects.create(learning=lesson, title="Elsewhere secret task", owner=outsider,
                              due_on=dt.date(2026, 11, 1))
    shared = IncidentFactory(team=other_team, visibility="library", created_by=outsider,
                             title="Elsewhere shared case", occurred_on=dt.date(2026, 10, 1),
                             response_score=1)
    if not quiet:
        IncidentFactory(team=team, title="Comms own slip", occurred_on=dt.date(2026, 11, 10))
    membership = Membership.objects.get(user=member, team=team)
    texts = _texts(team, membership, dt.date(2026, 11, 9))
    joined = "\n".join(texts)
    assert ("A quiet week" in joined) is quiet
    if quiet:
        assert shared.title in joined  # the pick: the library's case, not a private one
    for hidden in HIDDEN:
        assert hidden not in joined, hidden


@pytest.mark.django_db
def test_a_team_name_with_a_line_break_neither_breaks_nor_injects_a_header(team, member):
    # The settings form keeps a line break posted inside the name (an <input> sends none).
    Team = type(team)
    Team.objects.filter(pk=team.pk).update(name="Comms\r\nBcc: evil@example.com")
    team.refresh_from_db()
    membership = Membership.objects.get(user=member, team=team)
    digest = digest_build(team=team, period=week_named(team, dt.date(2026, 11, 9)))
    message = digest_message(digest, membership, message_id="<x@misfire.test>").message()
    assert message["List-Id"].startswith(
        "Comms Bcc: evil@example.com weekly digest <comms.digest.")
    assert message["Bcc"] is None
    assert message.get_all("To") == ["member@example.com"]


@pytest.mark.django_db
@pytest.mark.parametrize(("receiving_members", "says"), [
    (0, "Europe/London time, to no one at the moment (no member receives it), and reports"),
    (1, "Europe/London time, to the 1 member who receives it, and reports"),
    (2, "Europe/London time, to the 2 members who receive it, and reports"),
])
def test_the_settings_say_who_receives_the_digest_even_when_no_one_does(
        client, team, manager, member, receiving_members, says):
    rows = Membership.objects.filter(team=team).order_by("pk")
    for index, row in enumerate(rows):
        row.receives_digest = index < receiving_members
        row.save()
    html = login(client, manager).get("/accounts/teams/comms/settings/").content.decode()
    assert says in html
