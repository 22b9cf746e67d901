"""Link hygiene: one spelling per link, so duplicates meet and trackers do not travel with saved pins.

`normalize_link` lower-cases scheme and host, IDNA-encodes the host, drops default ports, userinfo and the
fragment, resolves `.`/`..` segments, normalises percent-escapes, and removes tracking parameters. Other
parameters keep their order and spelling. Content-irrelevant parameters learned per domain (the duplicate
detector's job, later) are passed in as `drop_params` and combined with the built-in `DEFAULT_DROP_PARAMS`.
"""

from __future__ import annotations

import re
from collections.abc import Callable, Collection, Mapping
from dataclasses import dataclass
from urllib.parse import quote, unquote_plus, urlsplit

from pinhaven.errors import InvalidInput
from pinhaven.ingest.addresses import HostError, IPAddress, format_host, parse_host, split_authority

__all__ = [
    "DEFAULT_DROP_PARAMS",
    "DEFAULT_PORTS",
    "MAX_LINK_CHARS",
    "TRACKING_PARAMS",
    "SplitUrl",
    "UrlError",
    "normalize_link",
    "source_domain",
    "split_url",
]

MAX_LINK_CHARS = 2048

# Dropped on every domain. A trailing `*` matches a prefix. Compared case-insensitively.
TRACKING_PARAMS: frozenset[str] = frozenset(
    {
        "utm_*", "mtm_*",  # Google Analytics / Matomo campaign tags
        "fbclid", "gclid", "gclsrc", "dclid", "gbraid", "wbraid", "msclkid", "yclid", "ysclid",
        "twclid", "ttclid", "li_fat_id", "epik", "rb_clickid", "irclickid", "srsltid", "s_kwcid", "ef_id",
        "mc_eid", "mc_cid",  # Mailchimp
        "_hsenc", "_hsmi", "__hstc", "__hssc", "__hsfp", "hsctatracking",  # HubSpot
        "igshid", "igsh", "ref_src", "ref_url", "mkt_tok", "_ga", "_gl", "oly_anon_id", "oly_enc_id",
        "vero_id", "vero_conv", "_openstat", "wickedid",
        "pk_campaign", "pk_kwd", "pk_keyword", "pk_source", "pk_medium", "pk_content", "pk_cid",
    }
)  # fmt: skip

# Known content-irrelevant parameters per domain; a key also covers its subdomains.
DEFAULT_DROP_PARAMS: Mapping[str, frozenset[str]] = {
    "youtube.com": frozenset({"si", "feature", "pp"}),
    "youtu.be": frozenset({"si", "feature"}),
    "open.spotify.com": frozenset({"si"}),
    "twitter.com": frozenset({"s", "t"}),
    "x.com": frozenset({"s", "t"}),
    "amazon.com": frozenset({"pd_rd_*", "pf_rd_*", "qid", "sr", "crid", "sprefix", "dib", "dib_tag", "ref_"}),
    "etsy.com": frozenset({"click_key", "click_sum", "ref", "organic_search_click"}),
}

DEFAULT_PORTS = {"http": 80, "https": 443}
_C0_AND_SPACE = "".join(chr(c) for c in range(0x21))  # what browsers strip from both ends of a URL
_UNRESERVED = frozenset("ABCDEFGHIJKLMNOPQRSTUVWXYZabcdefghijklmnopqrstuvwxyz0123456789-._~")
_CONTROL = re.compile(r"[\x00-\x1f\x7f]")
_ESCAPE = re.compile(r"%([0-9A-Fa-f]{2})")
_PATH_SAFE = "/%!$&'()*+,;=:@~-._"
_QUERY_SAFE = _PATH_SAFE + "?"


class UrlError(ValueError):
    """A URL that cannot be used; the message names the problem."""


def _normalize_escapes(text: str) -> str:
    """`%7e` → `~` (unreserved characters need no escape), other escapes upper-cased (`%2f` → `%2F`)."""

    def fix(match: re.Match[str]) -> str:
        char = chr(int(match.group(1), 16))
        return char if char in _UNRESERVED else "%" + match.group(1).upper()

    return _ESCAPE.sub(fix, text)


def _remove_dot_segments(path: str) -> str:
    """RFC 3986 §5.2.4 for an absolute path: `/a/./b/../c` → `/a/c`."""
    segments = path.split("/")[1:]
    out: list[str] = []
    for segment in segments:
        if segment == "..":
            if out:
                out.pop()
        elif segment != ".":
            out.append(segment)
    trailing = "/" if segments and segments[-1] in (".", "..") else ""
    return "/" + "/".join(out) + trailing


def _matcher(patterns: Collection[str]) -> Callable[[str], bool]:
    """A test for parameter names: exact names, or prefixes written with a trailing `*`."""
    exact = frozenset(p.lower() for p in patterns if not p.endswith("*"))
    prefixes = tuple(p[:-1].lower() for p in patterns if p.endswith("*"))
    return lambda name: name in exact or (bool(prefixes) and name.startswith(prefixes))


_is_tracking = _matcher(TRACKING_PARAMS)


def _domain_params(host: str, extra: Mapping[str, Collection[str]] | None) -> Callable[[str], bool]:
    """Parameters to drop for `host`: entries keyed by the host or any parent domain."""
    labels = host.split(".")
    suffixes = {".".join(labels[i:]) for i in range(len(labels))}
    names: set[str] = set()
    for table in (DEFAULT_DROP_PARAMS, extra or {}):
        for domain, params in table.items():
            if domain.lower().strip(".") in suffixes:
                names.update(params)
    return _matcher(names)


def _clean_query(query: str, drop: Callable[[str], bool]) -> str:
    kept: list[str] = []
    for piece in query.split("&"):
        if not piece:
            continue
        name = unquote_plus(piece.partition("=")[0]).strip().lower()
        if _is_tracking(name) or drop(name):
            continue
        kept.append(_normalize_escapes(quote(piece, safe=_QUERY_SAFE)))
    return "&".join(kept)


@dataclass(frozen=True)
class SplitUrl:
    """An absolute http(s) URL taken apart, host canonical (see addresses.parse_host), path and query raw."""

    scheme: str
    host: IPAddress | str
    port: int
    path: str
    query: str

    @property
    def authority(self) -> str:
        """Host (IPv6 in brackets) and port, the port left out when it is the scheme's default."""
        host = format_host(self.host)
        return host if self.port == DEFAULT_PORTS[self.scheme] else f"{host}:{self.port}"


def split_url(url: str, *, max_chars: int = MAX_LINK_CHARS) -> SplitUrl:
    """Read an absolute http(s) URL as a browser would (userinfo dropped); raises UrlError naming the problem."""
    text = url.strip(_C0_AND_SPACE)
    if not text:
        raise UrlError("the URL is empty")
    if len(text) > max_chars:
        raise UrlError(f"the URL is longer than {max_chars} characters")
    if _CONTROL.search(text):
        raise UrlError("the URL contains control characters")
    try:
        # Browsers read `\` as `/` in http(s) URLs, so `http://127.0.0.1\@evil.example/` is 127.0.0.1.
        parts = urlsplit(text.replace("\\", "/"))
        raw_host, port_text = split_authority(parts.netloc)
    except ValueError as exc:
        raise UrlError(f"not a valid URL ({exc})") from exc
    scheme = parts.scheme.lower()
    if scheme not in DEFAULT_PORTS:
        raise UrlError(
            f"only http and https URLs are accepted, not {scheme + ':' if scheme else 'a relative one'}"
        )
    if not raw_host:
        raise UrlError("the URL has no host")
    if port_text and not (port_text.isascii() and port_text.isdigit() and 0 < int(port_text) < 65536):
        raise UrlError(f"not a valid port: {port_text!r}")
    try:
        host = parse_host(raw_host)
    except HostError as exc:
        raise UrlError(str(exc)) from exc
    port = int(port_text) if port_text else DEFAULT_PORTS[scheme]
    return SplitUrl(scheme, host, port, parts.path, parts.query)


def _split(url: str) -> SplitUrl:
    try:
        return split_url(url)
    except UrlError as exc:
        raise InvalidInput(str(exc), field="link") from exc


def normalize_link(url: str, *, drop_params: Mapping[str, Collection[str]] | None = None) -> str:
    """The canonical spelling of an http(s) link, tracking parameters removed; raises InvalidInput("link")."""
    split = _split(url)
    path = _remove_dot_segments(_normalize_escapes(quote(split.path or "/", safe=_PATH_SAFE)))
    query = _clean_query(split.query, _domain_params(format_host(split.host), drop_params))
    link = f"{split.scheme}://{split.authority}{path}" + (f"?{query}" if query else "")
    if len(link) > MAX_LINK_CHARS:
        raise InvalidInput(
            f"the URL is longer than {MAX_LINK_CHARS} characters once normalised", field="link"
        )
    return link


def source_domain(url: str) -> str:
    """The link's host without a leading `www.` (e.g. `shop.example.com`); raises InvalidInput("link")."""
    host = format_host(_split(url).host)
    return host[4:] if host.startswith("www.") else host
