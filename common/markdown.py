"""Markdown to safe HTML: markdown-it-py's js-default preset (raw HTML off), then nh3.

Rendering costs up to seconds for long or bracket-heavy text, so each text is rendered once
and its HTML kept in the cache under a hash of the text: a page view after the first costs a
cache read, and an edit (a new text, a new key) renders once more.
"""

import hashlib
import logging
from functools import lru_cache

import nh3
from django.core.cache import cache
from django.utils.safestring import SafeString, mark_safe
from markdown_it import MarkdownIt

ALLOWED_TAGS = {
    "a", "p", "br", "hr", "strong", "em", "s", "code", "pre", "blockquote",
    "ul", "ol", "li", "h1", "h2", "h3", "h4", "h5", "h6",
    "table", "thead", "tbody", "tr", "th", "td",
}
ALLOWED_ATTRIBUTES = {"a": {"href", "title"}, "th": {"align"}, "td": {"align"}}
# Part of every cache key: change it whenever the parser or sanitiser settings change, so
# HTML rendered by the old rules is not served.
RENDER_VERSION = "2"
CACHE_SECONDS = 30 * 24 * 3600
# markdown-it looks ahead for a closing bracket from every "[", so bracket-heavy text costs the
# square of its length (20,000 "![" took 4 s). No real summary has this many links: past it,
# brackets are shown as typed and the text renders in linear time.
LINK_BRACKETS_MAX = 1_000

logger = logging.getLogger(__name__)


@lru_cache(maxsize=1)
def _parser() -> MarkdownIt:
    return MarkdownIt("js-default", {"linkify": False, "typographer": False})


def _render(text: str) -> str:
    if text.count("[") > LINK_BRACKETS_MAX:
        text = text.replace("[", "\\[")
    html = _parser().render(text)
    return nh3.clean(
        html,
        tags=ALLOWED_TAGS,
        attributes=ALLOWED_ATTRIBUTES,
        url_schemes={"http", "https", "mailto"},
        link_rel="nofollow noopener noreferrer",
    )


def render_markdown(text: str) -> SafeString:
    """Render user Markdown to HTML that carries no script, handler or dangerous URL."""
    text = text or ""
    if not text:
        return mark_safe("")  # noqa: S308 - empty
    digest = hashlib.sha256(text.encode("utf-8", "surrogatepass")).hexdigest()
    key = f"markdown:{RENDER_VERSION}:{digest}"
    try:
        clean = cache.get(key)
    except Exception:  # noqa: BLE001 - the cache is a speed-up: a page must render without it
        logger.warning("Markdown cache unreachable; rendering without it", exc_info=True)
        return mark_safe(_render(text))  # noqa: S308 - sanitised by nh3 in _render
    if clean is None:
        clean = _render(text)
        try:
            cache.set(key, clean, CACHE_SECONDS)
        except Exception:  # noqa: BLE001 - as above
            logger.warning("Markdown cache unreachable; rendered text not kept", exc_info=True)
    return mark_safe(clean)  # noqa: S308 - sanitised by nh3 in _render
