"""The digest's pages: the preview (which week, for whom, the email in a sandboxed frame, the
"Email me this preview" button with its limit and its broker-down answer), each member's last
delivery on the team settings page, and the one-click unsubscribe link."""

import datetime as dt
import logging
import re
from html import escape, unescape

import pytest
import time_machine
from django.core import signing
from django.test import Client
from django.urls import reverse

from accounts.models import Membership, Role, ThrottleEvent
from config.celery import app as celery_app
from dashboards.digest_views import NOT_QUEUED, PREVIEWS_PER_HOUR
from dashboards.digests import UNSUBSCRIBE_SALT, unsubscribe_token
from dashboards.models import DeliveryStatus, DigestDelivery
from tests.factories import IncidentFactory, MembershipFactory, UserFactory

# A Wednesday. Comms (Europe/London, on UTC in November) sends its digest on Mondays at 09:00:
# the latest digest reported 9–15 November, the week so far is 16–22 November.
NOW = dt.datetime(2026, 11, 18, 12, 0, tzinfo=dt.UTC)
LATEST, CURRENT = "2026-11-09", "2026-11-16"
PREVIEW = "/teams/comms/digest/"
# The session, the user and their memberships (3); the digest, read as the weekly run reads
# it (digest_build: 11, and one more in a quiet week for the learning or case it suggests);
# the number of recipients (1). Pinned: constant in the number of incidents.
PREVIEW_QUERIES = 15
QUIET_PREVIEW_QUERIES = 16


@pytest.fixture(autouse=True)
def frozen_now():
    with time_machine.travel(NOW, tick=False):
        yield


def _forget_broker_connections(*, close: bool) -> None:
    """Make the app open its next connection afresh from broker_url. Only the closed port's
    pool is closed: kombu keeps one pool per URL for the whole process, and the real
    broker's must stay usable for the tests after this one."""
    if close and celery_app._pool is not None:
        celery_app._pool.force_close_all()
    celery_app._pool = None
    celery_app.amqp._producer_pool = None


@pytest.fixture
def broker_down():
    """The broker at a closed port, and tasks really queued (not run in the request)."""
    conf = celery_app.conf
    saved = conf.broker_url, conf.task_always_eager
    _forget_broker_connections(close=False)
    conf.broker_url, conf.task_always_eager = "redis://127.0.0.1:1/0", False
    yield
    _forget_broker_connections(close=True)
    conf.broker_url, conf.task_always_eager = saved


def login(client, user) -> Client:
    client.force_login(user)
    return client


def membership_of(user, team) -> Membership:
    return Membership.objects.get(user=user, team=team)


CSRF = re.compile(rb'value="[^"]{64}"|"X-CSRFToken": "[^"]+"')


def without_tokens(response, slug: str = "") -> bytes:
    """A page without its per-response CSRF tokens (and the slug asked for)."""
    content = response.content.replace(slug.encode(), b"SLUG") if slug else response.content
    return CSRF.sub(b"", content)


def srcdoc(html: str) -> str:
    """The email HTML inside the page's frame, unescaped."""
    start = html.index('srcdoc="') + len('srcdoc="')
    return unescape(html[start:html.index('"', start)])


# ---------------------------------------------------------------------------------------------
# Preview: who, which week, what it shows


@pytest.mark.parametrize("role", ["viewer", "member", "manager"])
def test_every_member_of_the_team_previews_the_digest_rendered_for_themselves(
        client, team, manager, member, viewer, role):
    person = {"viewer": viewer, "member": member, "manager": manager}[role]
    response = login(client, person).get(PREVIEW)
    html = response.content.decode()
    assert response.status_code == 200
    email = srcdoc(html)
    assert f"Hello {escape(person.get_short_name())}," in email
    token = unsubscribe_token(membership_of(person, team))
    assert reverse("dashboards:digest-unsubscribe", args=[token]) in email
    # Nobody else's link: the manager's own token is only in the manager's preview.
    others = [p for p in (manager, member, viewer) if p != person]
    assert all(unsubscribe_token(membership_of(p, team)) not in html for p in others)


def test_the_preview_shows_subject_recipients_the_sandboxed_email_and_its_plain_text(
        client, team, manager, member):
    IncidentFactory(team=team, created_by=member, title="Spring sale post went out twice",
                    occurred_on=dt.date(2026, 11, 10))
    response = login(client, member).get(PREVIEW)
    html = response.content.decode()
    subject = "Comms weekly digest, 9–15 November 2026: 1 own incident, 0 elsewhere, " \
              "0 learnings adopted"
    assert f'<dd id="digest-subject">{subject}</dd>' in html
    # Only the manager receives it (the factory's default for managers).
    assert "1 member of Comms receives it (not you" in html
    size = round(len(srcdoc(html).replace('<base target="_blank">\n', "").encode()) / 1024)
    assert f"<dd>{size} KB of HTML (an email stays under 100 KB)</dd>" in html
    frame = html[html.index("<iframe"):html.index(">", html.index("<iframe")) + 1]
    assert 'sandbox="allow-popups allow-popups-to-escape-sandbox"' in frame
    assert "allow-scripts" not in frame
    assert "allow-same-origin" not in frame
    assert "Spring sale post went out twice" in srcdoc(html)
    assert '<base target="_blank">' in srcdoc(html)
    text = html[html.index("<summary>Plain-text version</summary>"):]
    assert "Spring sale post went out twice" in text[:text.index("</details>")]
    assert "<script" not in srcdoc(html).lower()


def test_the_preview_shows_the_latest_due_week_by_default_with_its_neighbours(client, team,
                                                                                member):
    html = login(client, member).get(PREVIEW).content.decode()
    assert "for 9–15 November 2026" in html
    assert f'href="{PREVIEW}?week=2026-11-02" rel="prev"' in html
    assert f'href="{PREVIEW}?week={CURRENT}" rel="next"' in html
    assert f'<a href="{PREVIEW}" aria-current="page">Latest digest</a>' in html
    assert f'<a href="{PREVIEW}?week={CURRENT}">This week so far</a>' in html
    assert f'name="week" value="{LATEST}"' in html


def test_an_empty_week_as_the_cleared_picker_sends_it_shows_the_latest(client, team, member):
    response = login(client, member).get(PREVIEW + "?week=")
    assert response.status_code == 200
    assert "for 9–15 November 2026" in response.content.decode()


def test_before_the_digest_hour_the_latest_digest_is_the_week_before(client, team, member):
    with time_machine.travel(dt.datetime(2026, 11, 16, 8, 59, tzinfo=dt.UTC), tick=False):
        html = login(client, member).get(PREVIEW).content.decode()
    assert "for 2–8 November 2026" in html
    assert f'<a href="{PREVIEW}?week=2026-11-09">This week so far</a>' in html


def test_the_week_so_far_has_no_later_week_and_says_it_is_not_over(client, team, member):
    IncidentFactory(team=team, created_by=member, title="Tuesday's slip",
                    occurred_on=dt.date(2026, 11, 17))
    IncidentFactory(team=team, created_by=member, title="Last week's slip",
                    occurred_on=dt.date(2026, 11, 10))
    response = login(client, member).get(PREVIEW, {"week": CURRENT})
    html = response.content.decode()
    assert response.status_code == 200
    assert "for 16–22 November 2026" in html
    assert 'rel="next"' not in html
    assert f'<a href="{PREVIEW}?week={CURRENT}" aria-current="page">This week so far</a>' in html
    assert "so far: the digest reports it when the week is over" in html
    assert "Tuesday's slip" in srcdoc(html)
    assert "Last week's slip" not in srcdoc(html)


def test_a_team_with_a_wednesday_digest_names_its_weeks_by_their_monday(client, member, team):
    team.digest_weekday, team.digest_hour = 2, 9
    team.save()
    html = login(client, member).get(PREVIEW, {"week": "2026-11-02"}).content.decode()
    # The week named by Monday 2 November starts on its Wednesday.
    assert "for 4–10 November 2026" in html


@pytest.mark.parametrize(("week", "message"), [
    ("2026-11-17", "A week is named by its Monday: 17 November 2026 is a Tuesday; that "
                   "week's Monday is 16 November 2026."),
    ("2026-13-02", "Give the week as its Monday, YYYY-MM-DD (e.g. 2026-11-16)."),
    ("16/11/2026", "Give the week as its Monday, YYYY-MM-DD (e.g. 2026-11-16)."),
    ("2026-11-9", "Give the week as its Monday, YYYY-MM-DD (e.g. 2026-11-16)."),
    ("2026-11-16 ", "Give the week as its Monday, YYYY-MM-DD (e.g. 2026-11-16)."),
    ("1989-12-25", "Misfire has digests from 1990 on: check the year."),
    ("2026-11-23", "That week has not started yet: the latest is this week so far "
                   "(2026-11-16)."),
])
def test_a_bad_week_is_a_400_with_the_message_beside_the_field(client, team, member, week,
                                                               message):
    response = login(client, member).get(PREVIEW + "?week=" + week.replace(" ", "%20"))
    html = response.content.decode()
    assert response.status_code == 400
    assert (f'<ul class="errorlist" id="id_week_error" role="alert"><li>{escape(message)}'
            f"</li></ul>") in html
    assert f'value="{escape(week)}"' in html
    assert "<iframe" not in html
    assert f'<a href="{PREVIEW}?week={CURRENT}">This week so far</a>' in html


def test_someone_of_another_team_gets_the_same_404_as_for_an_unknown_team(
        client, team, member, outsider):
    login(client, outsider)
    theirs = client.get(PREVIEW + "?week=" + LATEST)
    unknown = client.get("/teams/no-such-team/digest/?week=" + LATEST)
    assert (theirs.status_code, unknown.status_code) == (404, 404)
    assert without_tokens(theirs, "comms") == without_tokens(unknown, "no-such-team")
    assert b"Comms" not in theirs.content
    assert sorted(theirs.headers.items()) == sorted(unknown.headers.items())
    # A POST too: nothing queued, the same answer.
    assert client.post(PREVIEW, {"week": LATEST}).status_code == 404


def test_an_anonymous_visitor_is_sent_to_sign_in(client, team):
    response = client.get(PREVIEW + "?week=" + LATEST)
    assert response.status_code == 302
    assert response.url == f"/accounts/login/?next={PREVIEW}%3Fweek%3D{LATEST}"


@pytest.mark.parametrize("incidents", [1, 8])
def test_the_preview_query_count_does_not_grow_with_the_weeks_incidents(
        client, team, member, django_assert_num_queries, incidents):
    for i in range(incidents):
        IncidentFactory(team=team, created_by=member, occurred_on=dt.date(2026, 11, 10),
                        title=f"Slip {i}")
    login(client, member)
    with django_assert_num_queries(PREVIEW_QUERIES):
        response = client.get(PREVIEW)
    assert response.status_code == 200


def test_the_preview_of_a_quiet_week_has_a_fixed_query_count(client, team, member,
                                                              django_assert_num_queries):
    login(client, member)
    with django_assert_num_queries(QUIET_PREVIEW_QUERIES):
        response = client.get(PREVIEW)
    assert "a quiet week" in response.content.decode()


def test_the_preview_records_no_delivery(client, team, manager):
    login(client, manager).get(PREVIEW)
    assert DigestDelivery.objects.count() == 0


# ---------------------------------------------------------------------------------------------
# Email me this preview


def test_email_me_this_preview_sends_the_week_to_the_reader_only(
        client, team, manager, viewer, mailoutbox, eager_tasks):
    response = login(client, viewer).post(PREVIEW, {"week": "2026-11-02"})
    assert response.status_code == 302
    assert response.url == f"{PREVIEW}?week=2026-11-02"
    [email] = mailoutbox
    assert email.to == ["viewer@example.com"]
    assert email.subject.startswith("[Preview] Comms weekly digest, 2–8 November 2026")
    assert DigestDelivery.objects.count() == 0
    page = client.get(response.url)
    assert [str(m) for m in page.context["messages"]] == [
        "A preview of the digest of 2–8 November 2026 is on its way to viewer@example.com. "
        "It takes a minute or two to arrive."]


def test_email_me_this_preview_is_limited_to_five_an_hour_per_person(
        client, team, member, manager, mailoutbox, eager_tasks):
    login(client, member)
    for _ in range(PREVIEWS_PER_HOUR):
        client.post(PREVIEW, {"week": LATEST}, follow=True)
    response = client.post(PREVIEW, {"week": LATEST}, follow=True)
    assert len(mailoutbox) == PREVIEWS_PER_HOUR
    assert [str(m) for m in response.context["messages"]] == [
        "You have had 5 previews emailed in the last hour, the most allowed. Try again after "
        "13:00."]
    # Another person's limit is their own.
    login(client, manager).post(PREVIEW, {"week": LATEST})
    assert len(mailoutbox) == PREVIEWS_PER_HOUR + 1
    # An hour after the first, one more may go.
    with time_machine.travel(NOW + dt.timedelta(hours=1, seconds=1), tick=False):
        login(client, member).post(PREVIEW, {"week": LATEST})
    assert len(mailoutbox) == PREVIEWS_PER_HOUR + 2


def test_a_bad_week_posted_sends_nothing_and_says_why(client, team, member, mailoutbox,
                                                      eager_tasks):
    response = login(client, member).post(PREVIEW, {"week": "2026-11-18"})
    assert response.status_code == 400
    assert ("18 November 2026 is a Wednesday; that week&#x27;s Monday is 16 November 2026."
            in response.content.decode())
    assert mailoutbox == []


def test_with_the_broker_down_the_page_says_the_preview_was_not_queued_and_logs_it(
        client, team, member, mailoutbox, broker_down, caplog):
    login(client, member)
    with caplog.at_level(logging.ERROR, logger="common.tasks"):
        response = client.post(PREVIEW, {"week": LATEST}, follow=True)
    assert response.status_code == 200
    assert response.redirect_chain == [(f"{PREVIEW}?week={LATEST}", 302)]
    assert [str(m) for m in response.context["messages"]] == [NOT_QUEUED]
    assert "try again in a few minutes" in NOT_QUEUED
    assert [record.getMessage() for record in caplog.records if record.name == "common.tasks"
            ] == [f"Could not queue dashboards.send_digest_preview"
                  f"({membership_of(member, team).pk}, '2026-11-09'): the task broker is "
                  "unreachable."]
    assert mailoutbox == []
    # A failed try does not count against the limit.
    assert ThrottleEvent.objects.filter(scope="digest-preview").count() == 0


# ---------------------------------------------------------------------------------------------
# Team settings: each member's last delivery


def delivery(team, user, week: str, status: str, **fields) -> DigestDelivery:
    return DigestDelivery.objects.create(team=team, user=user,
                                         period_start=dt.date.fromisoformat(week),
                                         status=status, **fields)


def row_of(html: str, team, user) -> str:
    start = html.index(f'id="delivery-{membership_of(user, team).public_id}"')
    return " ".join(html[start:html.index("</tr>", start)].split())


def test_team_settings_show_each_members_last_delivery(client, team, manager, member, viewer,
                                                        other_team, outsider):
    third = MembershipFactory(team=team, role=Role.MEMBER,
                              user=UserFactory(email="third@example.com")).user
    delivery(team, manager, "2026-11-02", DeliveryStatus.FAILED, error="old failure")
    delivery(team, manager, LATEST, DeliveryStatus.SENT,
             sent_at=dt.datetime(2026, 11, 16, 9, 1, tzinfo=dt.UTC))
    delivery(team, member, LATEST, DeliveryStatus.SKIPPED)
    delivery(team, viewer, LATEST, DeliveryStatus.FAILED,
             error="550 5.1.1 viewer@example.com: mailbox unavailable")
    delivery(team, third, LATEST, DeliveryStatus.CLAIMED)
    # Another team's delivery to the same person is not this team's.
    MembershipFactory(team=other_team, user=member, role=Role.MEMBER)
    delivery(other_team, member, CURRENT, DeliveryStatus.SENT,
             sent_at=dt.datetime(2026, 11, 18, 9, 0, tzinfo=dt.UTC))
    newcomer = MembershipFactory(team=team, role=Role.MEMBER,
                                 user=UserFactory(email="new@example.com")).user
    html = login(client, manager).get(
        reverse("accounts:team-settings", kwargs={"slug": "comms"})).content.decode()
    assert ("Sent 16 Nov 2026, 09:01 <small>· week of 9 Nov 2026</small>"
            in row_of(html, team, manager))
    assert "old failure" not in html
    assert "Skipped (quiet week) <small>· week of 9 Nov 2026</small>" in row_of(html, team,
                                                                                  member)
    assert ('<strong class="delivery-failed">Failed</strong> <small>· week of 9 Nov 2026'
            '</small> <span class="delivery-error">550 5.1.1 viewer@example.com: mailbox '
            'unavailable</span>') in row_of(html, team, viewer)
    assert "Sending <small>· week of 9 Nov 2026</small>" in row_of(html, team, third)
    assert '<span class="muted">Never</span>' in row_of(html, team, newcomer)
    assert f'<a href="{PREVIEW}">Preview the digest</a>' in html


def test_team_settings_say_the_digest_hour_is_the_teams_local_time(client, team, manager):
    html = login(client, manager).get(
        reverse("accounts:team-settings", kwargs={"slug": "comms"})).content.decode()
    assert "It is sent at this hour, the team's local time (daylight saving included)." \
        in html
    assert "It goes out every Monday at 09:00, Europe/London time, to the 1 member who " \
           "receives it" in html


# session, user, team, membership, members, pending invitations, header memberships, and the
# members' last deliveries (one query for all: tests/accounts/test_views.py pins the same).
TEAM_SETTINGS_QUERIES = 8


@pytest.mark.parametrize("n", [2, 9])
def test_team_settings_read_the_last_deliveries_in_one_query_for_any_number_of_members(
        client, team, manager, django_assert_num_queries, n):
    for i in range(n):
        user = MembershipFactory(team=team, role=Role.MEMBER,
                                 user=UserFactory(email=f"p{i}@example.com")).user
        delivery(team, user, "2026-11-02", DeliveryStatus.SENT, sent_at=NOW)
        delivery(team, user, LATEST, DeliveryStatus.FAILED, error=f"error {i}")
    login(client, manager)
    with django_assert_num_queries(TEAM_SETTINGS_QUERIES):
        response = client.get(reverse("accounts:team-settings", kwargs={"slug": "comms"}))
    html = response.content.decode()
    assert all(f"error {i}" in html for i in range(n))


# ---------------------------------------------------------------------------------------------
# Unsubscribe


@pytest.fixture
def subscribed(team, member, other_team, manager):
    """The member receives Comms' digest and Elsewhere's; the manager receives Comms'."""
    comms = membership_of(member, team)
    comms.receives_digest = True
    comms.save()
    elsewhere = MembershipFactory(team=other_team, user=member, role=Role.MEMBER,
                                  receives_digest=True)
    return {"comms": comms, "elsewhere": elsewhere, "manager": membership_of(manager, team)}


def unsubscribe_url(membership) -> str:
    return reverse("dashboards:digest-unsubscribe", args=[unsubscribe_token(membership)])


def receiving() -> dict:
    return dict(Membership.objects.values_list("public_id", "receives_digest"))


def test_opening_the_unsubscribe_link_asks_first_and_changes_nothing(subscribed):
    before = receiving()
    response = Client().get(unsubscribe_url(subscribed["comms"]))
    html = response.content.decode()
    assert response.status_code == 200
    assert "<h1>Unsubscribe from the weekly digest?</h1>" in html
    assert "<strong>member@example.com</strong> receives the weekly digest of " \
           "<strong>Comms</strong>" in html
    assert '<button type="submit" class="primary">Unsubscribe</button>' in html
    assert receiving() == before


def test_posting_the_link_without_session_or_csrf_unsubscribes_exactly_that_membership(
        subscribed):
    before = receiving()
    client = Client(enforce_csrf_checks=True)
    response = client.post(unsubscribe_url(subscribed["comms"]),
                           "List-Unsubscribe=One-Click",
                           content_type="application/x-www-form-urlencoded")
    html = response.content.decode()
    assert response.status_code == 200
    assert "<h1>You are unsubscribed</h1>" in html
    assert f'<a href="{reverse("accounts:profile")}#digest">profile</a>' in html
    assert receiving() == {**before, subscribed["comms"].public_id: False}
    # Again: nothing more changes, and the page says so.
    assert client.post(unsubscribe_url(subscribed["comms"])).status_code == 200
    assert receiving() == {**before, subscribed["comms"].public_id: False}
    again = client.get(unsubscribe_url(subscribed["comms"])).content.decode()
    assert "does not receive the weekly digest of <strong>Comms</strong> any more" in again


def bad_tokens(membership) -> dict[str, str]:
    token = unsubscribe_token(membership)
    value, signature = token.rsplit(":", 1)
    other = MembershipFactory().public_id
    return {
        "tampered signature": f"{value}:{signature[:-1]}{'A' if signature[-1] != 'A' else 'B'}",
        "another membership's id, same signature": f"{other}:{signature}",
        "truncated": token[:-4],
        "no signature": value,
        "signed with another salt": signing.Signer(salt="misfire.other").sign(value),
        "signed with the default salt": signing.Signer().sign(value),
        "empty-looking": ":",
    }


def test_forged_altered_and_outdated_links_get_the_same_404_and_change_nothing(
        subscribed, member):
    tokens = bad_tokens(subscribed["comms"])
    before = receiving()
    client = Client(enforce_csrf_checks=True)
    pages = set()
    for token in tokens.values():
        for method in (client.get, client.post):
            response = method(reverse("dashboards:digest-unsubscribe", args=[token]))
            assert response.status_code == 404, token
            pages.add(without_tokens(response))
    # The link of a membership that no longer exists (the member left the team).
    gone = unsubscribe_url(subscribed["elsewhere"])
    subscribed["elsewhere"].delete()
    before.pop(subscribed["elsewhere"].public_id)
    response = client.post(gone)
    assert response.status_code == 404
    pages.add(without_tokens(response))
    assert len(pages) == 1
    page = pages.pop().decode()
    assert "<h1>This unsubscribe link is not valid</h1>" in page
    assert f'<a href="{reverse("accounts:profile")}#digest">profile</a>' in page
    assert receiving() == before
    assert UNSUBSCRIBE_SALT not in page


def test_the_unsubscribe_link_of_one_team_leaves_the_same_persons_other_team_alone(
        subscribed):
    Client().post(unsubscribe_url(subscribed["elsewhere"]))
    assert Membership.objects.get(pk=subscribed["elsewhere"].pk).receives_digest is False
    assert Membership.objects.get(pk=subscribed["comms"].pk).receives_digest is True
    assert Membership.objects.get(pk=subscribed["manager"].pk).receives_digest is True


def test_a_signed_in_other_person_posting_someone_elses_link_unsubscribes_only_that_link(
        client, subscribed, manager):
    # The link is the proof, whoever holds it: it names one membership and no other.
    login(client, manager).post(unsubscribe_url(subscribed["comms"]))
    assert Membership.objects.get(pk=subscribed["comms"].pk).receives_digest is False
    assert Membership.objects.get(pk=subscribed["manager"].pk).receives_digest is True



@pytest.mark.django_db
def test_the_team_dashboard_links_to_its_weekly_digest(client, team, viewer):
    page = login(client, viewer).get("/teams/comms/dashboard/").content.decode()
    assert f'<a href="{PREVIEW}">Weekly digest</a>' in page
    assert client.get(PREVIEW).status_code == 200
