"""Link normalisation: the same post pasted in its usual spellings is one link."""

import pytest

from incidents.links import normalize_link

SAME_TWEET = "https://twitter.com/united/status/850027567418621952"


@pytest.mark.parametrize("pasted", [
    "https://x.com/united/status/850027567418621952",
    "http://www.twitter.com/united/status/850027567418621952/",
    "https://mobile.twitter.com/united/status/850027567418621952?s=20&t=abc",
    "https://X.COM/united/status/850027567418621952#reply",
    "  https://twitter.com/united/status/850027567418621952  ",
])
def test_spellings_of_one_tweet_are_one_link(pasted):
    assert normalize_link(pasted) == SAME_TWEET


def test_phone_and_desktop_facebook_links_agree_and_keep_the_post_id():
    phone = "https://m.facebook.com/story.php?story_fbid=10&id=20&ref=share&mibextid=x"
    desktop = "https://www.facebook.com/story.php?id=20&story_fbid=10"
    assert normalize_link(phone) == normalize_link(desktop)
    assert normalize_link(desktop) == "https://facebook.com/story.php?id=20&story_fbid=10"


def test_youtube_short_link_is_the_watch_link_and_keeps_the_video():
    assert normalize_link("https://youtu.be/dQw4w9WgXcQ?si=share") == \
        normalize_link("https://www.youtube.com/watch?v=dQw4w9WgXcQ&feature=share") == \
        "https://youtube.com/watch?v=dQw4w9WgXcQ"


def test_other_sites_lose_tracking_parameters_but_keep_meaningful_ones():
    assert normalize_link("https://www.bbc.co.uk/news/a-1?utm_source=tw&fbclid=x&page=2") == \
        "https://bbc.co.uk/news/a-1?page=2"


def test_different_posts_stay_different():
    assert normalize_link("https://x.com/united/status/1") != \
        normalize_link("https://x.com/united/status/2")
    assert normalize_link("https://example.com/a?id=1") != \
        normalize_link("https://example.com/a?id=2")


def test_non_default_port_is_kept_and_default_port_dropped():
    assert normalize_link("https://example.com:443/a") == "https://example.com/a"
    assert normalize_link("https://example.com:8443/a") == "https://example.com:8443/a"


@pytest.mark.parametrize("odd", ["javascript:alert(1)", "http://[::1", "not a link", ""])
def test_what_is_not_a_web_link_comes_back_unchanged_for_validation_to_refuse(odd):
    assert normalize_link(odd) == odd.strip()
