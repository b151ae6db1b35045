"""render_markdown turns user Markdown into HTML that carries no script, handler or bad URL."""

from html.parser import HTMLParser

import pytest
from django.utils.safestring import SafeString

from common import markdown
from common.markdown import render_markdown


class _Tags(HTMLParser):
    def __init__(self):
        super().__init__()
        self.tags: list[tuple[str, dict[str, str]]] = []

    def handle_starttag(self, tag, attrs):
        self.tags.append((tag, {name: value or "" for name, value in attrs}))


def tags(html: str) -> list[tuple[str, dict[str, str]]]:
    """The elements a browser would build from the HTML, with their attributes."""
    parser = _Tags()
    parser.feed(html)
    return parser.tags


def hrefs(html: str) -> list[str]:
    return [attrs["href"] for tag, attrs in tags(html) if "href" in attrs]


def test_script_tag_is_not_rendered_as_a_tag():
    html = render_markdown("<script>alert(1)</script>")
    assert tags(html) == [("p", {})]
    assert html == "<p>&lt;script&gt;alert(1)&lt;/script&gt;</p>\n"


@pytest.mark.parametrize("link", [
    "[x](javascript:alert(1))",
    "[x](JaVaScRiPt:alert(1))",
    "[x](<javascript:alert(1)>)",
    "[x](data:text/html;base64,PHNjcmlwdD5hbGVydCgxKTwvc2NyaXB0Pg==)",
    "[x](vbscript:msgbox(1))",
    '<a href="javascript:alert(1)">x</a>',
    "[x]: javascript:alert(1)\n\n[x]",
    "<javascript:alert(1)>",
])
def test_links_never_carry_a_script_url(link):
    for href in hrefs(render_markdown(link)):
        assert href.split(":")[0].strip().lower() in ("http", "https", "mailto"), href


def test_tab_hidden_in_a_javascript_url_does_not_make_it_a_script_url():
    # The tab is percent-encoded, so a browser reads no scheme and treats it as a relative URL.
    assert hrefs(render_markdown("[x](java&#x09;script:alert(1))")) == [
        "java%09script:alert(1)",
    ]


def test_image_with_an_error_handler_has_no_handler():
    html = render_markdown("<img src=x onerror=alert(1)>")
    assert tags(html) == [("p", {})]
    assert html == "<p>&lt;img src=x onerror=alert(1)&gt;</p>\n"


@pytest.mark.parametrize("text", [
    '<a href="https://example.com" onclick="alert(1)">x</a>',
    "<div onmouseover=alert(1)>x</div>",
    "<svg onload=alert(1)>",
    "<iframe src=https://example.com></iframe>",
    "<style>body{display:none}</style>",
    '[x](https://example.com "a" onclick="alert(1)")',
    '[x](https://example.com "a\\" onclick=\\"alert(1)")',
    "![x](https://example.com/i.png)",
])
def test_no_element_carries_a_handler_or_leaves_the_allowed_set(text):
    for tag, attrs in tags(render_markdown(text)):
        assert tag in {"p", "a", "strong", "em", "code"}, tag
        assert not [name for name in attrs if name.startswith("on")], attrs
        assert set(attrs) <= {"href", "title", "rel"}, attrs


def test_bold_and_emphasis_render():
    assert render_markdown("**bold** and *soft*") == (
        "<p><strong>bold</strong> and <em>soft</em></p>\n"
    )


def test_list_renders():
    assert render_markdown("- one\n- two") == "<ul>\n<li>one</li>\n<li>two</li>\n</ul>\n"


def test_http_link_renders_with_rel_nofollow():
    html = render_markdown("[the article](https://news.example.com/story)")
    assert html == (
        '<p><a href="https://news.example.com/story" rel="nofollow noopener noreferrer">'
        "the article</a></p>\n"
    )


def test_mailto_link_is_kept():
    assert hrefs(render_markdown("[us](mailto:press@example.com)")) == [
        "mailto:press@example.com",
    ]


def test_code_is_escaped():
    assert render_markdown("`<b>`") == "<p><code>&lt;b&gt;</code></p>\n"


def test_bare_urls_are_not_linked():
    assert render_markdown("see https://example.com") == "<p>see https://example.com</p>\n"


@pytest.mark.parametrize("text", ["", None])
def test_empty_text_renders_nothing(text):
    assert render_markdown(text) == ""


def test_result_is_safe_for_templates():
    assert isinstance(render_markdown("*x*"), SafeString)


def test_bracket_heavy_text_shows_its_brackets_as_typed():
    # Past LINK_BRACKETS_MAX brackets the parser's look-ahead would cost the square of the
    # length; the text is shown literally instead, links included.
    text = "[a](https://example.com) " + "![" * (markdown.LINK_BRACKETS_MAX + 1)
    html = markdown.render_markdown(text)
    assert "<a " not in html
    assert html.startswith("<p>[a](https://example.com) ![![")
    assert html.count("[") == markdown.LINK_BRACKETS_MAX + 2


def test_text_with_links_below_the_bracket_limit_keeps_them():
    text = "[a](https://example.com) " + "[" * (markdown.LINK_BRACKETS_MAX - 1)
    assert '<a href="https://example.com"' in markdown.render_markdown(text)
