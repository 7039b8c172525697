"""The published site's address: one rule for what an address may be (`site_address`, which parses and re-serialises
it), and where a build takes it from (`site_url_for`: publication.yml's `site_url`, else GitHub Pages' address on
GitHub Actions). The spec stage, the site's config and hooks, the charts' source line and the metadata all ask here.
"""

from __future__ import annotations

import logging
import unicodedata
import urllib.parse
from typing import Any

log = logging.getLogger("mkdocs.hooks.surveypress")

# What a site address may not hold anywhere: it is printed into attributes (canonical link, og:url) and XML (sitemap).
_ADDRESS_FORBIDDEN = frozenset("\"'<>\\`{}|^")


def site_address(value: Any) -> str:
    """The published site's address, re-serialised with one `/` at the end; ValueError when it is not one.

    It must be an absolute http(s) URL with a host, without user, query or fragment, and hold no quote, angle
    bracket, space, backslash or control or format character (trailing newline included): canonical links, og:url
    and the sitemap are built on it. The path is percent-encoded where it holds anything but URL characters.
    """
    if not isinstance(value, str) or not value:
        raise ValueError(value)
    for character in value:
        if character in _ADDRESS_FORBIDDEN or character.isspace():
            raise ValueError(value)
        if unicodedata.category(character) in {"Cc", "Cf", "Cs", "Co", "Cn", "Zl", "Zp", "Zs"}:
            raise ValueError(value)
    parts = urllib.parse.urlsplit(value)
    if parts.scheme.lower() not in {"http", "https"} or not parts.hostname or parts.query or parts.fragment:
        raise ValueError(value)
    if parts.username is not None or parts.password is not None or "?" in value or "#" in value:
        raise ValueError(value)
    try:
        port = parts.port
        host = parts.hostname.encode("idna").decode("ascii")
    except (ValueError, UnicodeError) as error:
        raise ValueError(value) from error
    host = f"[{host}]" if ":" in host else host  # an IPv6 address keeps its brackets
    netloc = host if port is None else f"{host}:{port}"
    path = urllib.parse.quote(parts.path, safe="/%-._~!$()*+,;=:@")
    return urllib.parse.urlunsplit((parts.scheme.lower(), netloc, path.rstrip("/") + "/", "", ""))


def site_url_for(meta: dict[str, Any], environ: dict[str, str]) -> str | None:
    """The published address: publication.yml's `site_url`, else the GitHub Pages one on GitHub Actions."""
    # One rule for every address (site_address, above): the spec stage has already refused a bad site_url.
    if meta.get("site_url"):
        return site_address(meta["site_url"])
    repository = environ.get("GITHUB_REPOSITORY", "")
    if "/" in repository:
        owner, name = repository.split("/", 1)
        if name.lower() == f"{owner.lower()}.github.io":
            return site_address(f"https://{owner.lower()}.github.io/")
        try:
            return site_address(f"https://{owner.lower()}.github.io/{name}/")
        except ValueError:
            log.warning("GITHUB_REPOSITORY %r makes no site address: no canonical links or sitemap", repository)
    return None
