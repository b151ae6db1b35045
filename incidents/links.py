"""One spelling per link, so that the same post is recognised however it was pasted.

People paste the same post as x.com or twitter.com, from a phone (m.facebook.com), with
tracking parameters (?utm_source=…, ?s=20) or a trailing slash. Sources are stored under the
normalised link, and the "looks like…" panel compares normalised links.
"""

from urllib.parse import parse_qsl, urlencode, urlsplit, urlunsplit

# Hosts that are another name for one canonical host.
HOST_ALIASES = {
    "x.com": "twitter.com",
    "mobile.twitter.com": "twitter.com",
    "mobile.x.com": "twitter.com",
    "fb.com": "facebook.com",
    "m.facebook.com": "facebook.com",
    "mobile.facebook.com": "facebook.com",
    "touch.facebook.com": "facebook.com",
    "m.youtube.com": "youtube.com",
    "music.youtube.com": "youtube.com",
    "m.instagram.com": "instagram.com",
    "m.tiktok.com": "tiktok.com",
    "old.reddit.com": "reddit.com",
    "new.reddit.com": "reddit.com",
    "m.reddit.com": "reddit.com",
    "np.reddit.com": "reddit.com",
    "threads.com": "threads.net",
    "m.weibo.cn": "weibo.cn",
}

# Prefixes that only say "the same site, on a phone / with www".
STRIPPED_PREFIXES = ("www.", "m.", "mobile.", "amp.")

# On these hosts the path identifies the post; the query is sharing noise, except the
# parameters named here, which identify what is shown.
QUERY_KEPT_ON_PLATFORMS = {
    "twitter.com": set(),
    "facebook.com": {"story_fbid", "id", "fbid", "v"},
    "instagram.com": set(),
    "youtube.com": {"v", "list"},
    "tiktok.com": set(),
    "linkedin.com": set(),
    "reddit.com": set(),
    "threads.net": set(),
    "bsky.app": set(),
}

# Tracking parameters dropped from any other site's links.
TRACKING_PREFIXES = ("utm_", "mc_", "pk_")
TRACKING_PARAMETERS = {"fbclid", "gclid", "dclid", "msclkid", "igshid", "mkt_tok", "ref",
                       "ref_src", "ref_url", "s", "t", "si", "share", "cmpid", "ocid"}


def _canonical_host(host: str) -> str:
    host = host.lower().rstrip(".")
    if host in HOST_ALIASES:
        return HOST_ALIASES[host]
    for prefix in STRIPPED_PREFIXES:
        if host.startswith(prefix) and host.count(".") >= 2:
            host = host[len(prefix):]
            break
    return HOST_ALIASES.get(host, host)


def _kept_query(host: str, query: str) -> str:
    pairs = parse_qsl(query, keep_blank_values=True)
    if host in QUERY_KEPT_ON_PLATFORMS:
        kept = QUERY_KEPT_ON_PLATFORMS[host]
        pairs = [(k, v) for k, v in pairs if k in kept]
    else:
        pairs = [(k, v) for k, v in pairs
                 if k.lower() not in TRACKING_PARAMETERS
                 and not k.lower().startswith(TRACKING_PREFIXES)]
    return urlencode(sorted(pairs))


def normalize_link(url: str) -> str:
    """The canonical spelling of a web link: https, lower-case host without www/mobile
    prefixes, one host per platform (x.com → twitter.com), no fragment, no tracking or
    sharing parameters, no trailing slash. Anything that is not an http(s) link with a host
    is returned stripped and otherwise unchanged, for the caller's validation to refuse."""
    url = url.strip()
    try:
        parts = urlsplit(url)
        host = parts.hostname
        port = parts.port
    except ValueError:
        return url
    if parts.scheme.lower() not in ("http", "https") or not host:
        return url
    host = _canonical_host(host)
    netloc = host if port in (None, 80, 443) else f"{host}:{port}"
    path = parts.path.rstrip("/")
    if host == "youtu.be" and path:
        # The short form of a video link is the long form.
        return urlunsplit(("https", "youtube.com", "/watch",
                           urlencode([("v", path.lstrip("/"))]), ""))
    return urlunsplit(("https", netloc, path, _kept_query(host, parts.query), ""))
