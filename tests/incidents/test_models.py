"""Model-level rules: the platform guessed from a link, the response score, severity order."""

import pytest

from incidents.models import (
    Incident,
    Platform,
    platform_from_url,
    response_score,
    severity_rank_expression,
)
from tests.factories import IncidentFactory


@pytest.mark.parametrize(
    ("url", "platform"),
    [
        ("https://x.com/brand/status/1", Platform.TWITTER),
        ("https://twitter.com/brand/status/1", Platform.TWITTER),
        ("https://www.twitter.com/brand", Platform.TWITTER),
        ("https://m.facebook.com/brand/posts/1", Platform.FACEBOOK),
        ("https://youtu.be/abc123", Platform.YOUTUBE),
        ("https://www.youtube.com/watch?v=abc123", Platform.YOUTUBE),
        ("https://www.tiktok.com/@brand/video/1", Platform.TIKTOK),
        ("https://www.instagram.com/p/abc/", Platform.INSTAGRAM),
        ("https://bsky.app/profile/brand", Platform.BLUESKY),
        ("HTTPS://X.COM/brand", Platform.TWITTER),
        ("  https://x.com/brand  ", Platform.TWITTER),
        ("https://www.bbc.co.uk/news/business-1", Platform.WEBSITE),
        ("http://mumbrella.com.au/qantas-luxury", Platform.WEBSITE),
    ],
)
def test_platform_is_guessed_from_the_links_host(url, platform):
    assert platform_from_url(url) == platform


@pytest.mark.parametrize(
    "url",
    [
        "https://notx.com/brand",
        "https://x.com.evil.example/brand",
        "https://myfacebook.com/brand",
    ],
)
def test_hosts_that_merely_resemble_a_platform_are_websites(url):
    assert platform_from_url(url) == Platform.WEBSITE


@pytest.mark.parametrize(
    "url",
    [
        "javascript:alert(1)",
        "ftp://files.example.com/post.png",
        "garbage",
        "",
        "x.com/brand",
        "https://",
        "http://[not-an-ipv6",
        "mailto:press@example.com",
    ],
)
def test_a_link_that_is_not_a_web_address_has_no_platform(url):
    assert platform_from_url(url) is None


def test_no_response_moves_score_zero():
    assert response_score({}) == 0


@pytest.mark.parametrize("move", ["acknowledged", "apologized", "explained_fix", "asked_for_help"])
def test_each_owning_move_adds_one_point(move):
    assert response_score({move: True}) == 1


def test_all_four_owning_moves_score_four():
    moves = {"acknowledged": True, "apologized": True, "explained_fix": True,
             "asked_for_help": True}
    assert response_score(moves) == 4


@pytest.mark.parametrize("move", ["deleted_silently", "defensive", "blamed_others"])
def test_each_damaging_move_takes_one_point_off(move):
    assert response_score({"acknowledged": True, "apologized": True, move: True}) == 1


def test_damaging_moves_never_take_the_score_below_zero():
    moves = {"acknowledged": True, "deleted_silently": True, "defensive": True,
             "blamed_others": True}
    assert response_score(moves) == 0


def test_moves_set_to_false_count_for_nothing():
    moves = {"acknowledged": True, "apologized": False, "defensive": False}
    assert response_score(moves) == 1


def test_owning_and_damaging_moves_cancel_out():
    moves = {"acknowledged": True, "apologized": True, "explained_fix": True,
             "asked_for_help": True, "defensive": True}
    assert response_score(moves) == 3


def test_severity_rank_orders_low_to_critical(db):
    for severity in ("high", "low", "critical", "medium"):
        IncidentFactory(severity=severity, title=severity)
    ranked = Incident.objects.annotate(rank=severity_rank_expression())
    assert list(ranked.order_by("rank").values_list("severity", "rank")) == [
        ("low", 1), ("medium", 2), ("high", 3), ("critical", 4),
    ]
    assert list(ranked.order_by("-rank").values_list("severity", flat=True)) == [
        "critical", "high", "medium", "low",
    ]
