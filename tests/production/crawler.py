"""A small HTTP crawler for the production check: cookies by hand (the production cookies are
``Secure`` and the check talks plain HTTP to gunicorn with ``X-Forwarded-Proto: https``, as a
TLS-terminating proxy would), asset extraction, CSP checks."""

from __future__ import annotations

import re
from dataclasses import dataclass, field
from html.parser import HTMLParser
from http.cookies import SimpleCookie
from urllib.parse import urljoin, urlsplit

import requests

CONTENT_TYPES = {
    ".css": ("text/css",),
    ".js": ("text/javascript", "application/javascript"),
    ".png": ("image/png",),
    ".svg": ("image/svg+xml",),
    ".ico": ("image/x-icon", "image/vnd.microsoft.icon"),
    ".gif": ("image/gif",),
    ".jpg": ("image/jpeg",),
    ".woff2": ("font/woff2",),
}


@dataclass
class Tag:
    name: str
    attrs: dict[str, str]
    text: str = ""


class _Parser(HTMLParser):
    def __init__(self) -> None:
        super().__init__(convert_charrefs=True)
        self.tags: list[Tag] = []
        self._script: Tag | None = None

    def handle_starttag(self, tag: str, attrs: list[tuple[str, str | None]]) -> None:
        item = Tag(tag, {k: v or "" for k, v in attrs})
        self.tags.append(item)
        if tag in ("script", "style"):
            self._script = item

    def handle_data(self, data: str) -> None:
        if self._script is not None:
            self._script.text += data

    def handle_endtag(self, tag: str) -> None:
        if tag in ("script", "style"):
            self._script = None


def tags(html: str) -> list[Tag]:
    parser = _Parser()
    parser.feed(html)
    return parser.tags


def assets(html: str) -> list[str]:
    """Every file a page names in <link href>, <script src> and <img src> (not data: URIs)."""
    out = []
    for tag in tags(html):
        url = ""
        if tag.name == "link" and tag.attrs.get("rel", "") in ("stylesheet", "icon", "preload"):
            url = tag.attrs.get("href", "")
        elif tag.name in ("script", "img"):
            url = tag.attrs.get("src", "")
        if url and not url.startswith("data:"):
            out.append(url)
    return out


def links(html: str) -> list[str]:
    return [tag.attrs["href"] for tag in tags(html) if tag.name == "a" and tag.attrs.get("href")]


def csp_problems(html: str, header: str) -> list[str]:
    """What in the page the Content-Security-Policy header would block or allow unsafely."""
    problems = []
    if not header:
        return ["no Content-Security-Policy header"]
    directives = {
        part.strip().split(" ")[0]: part.strip().split(" ")[1:]
        for part in header.split(";")
        if part.strip()
    }
    script_src = directives.get("script-src", directives.get("default-src", []))
    if "'unsafe-inline'" in script_src or "'unsafe-eval'" in script_src:
        problems.append(f"script-src allows unsafe code: {script_src}")
    nonces = {value[len("'nonce-") : -1] for value in script_src if value.startswith("'nonce-")}
    style_src = directives.get("style-src", directives.get("default-src", []))
    style_nonces = {v[len("'nonce-") : -1] for v in style_src if v.startswith("'nonce-")}
    for tag in tags(html):
        for name in tag.attrs:
            if name.startswith("on"):
                problems.append(f"inline event handler {name}= on <{tag.name}>")
        if tag.attrs.get("href", "").lower().startswith("javascript:"):
            problems.append(f"javascript: URL on <{tag.name}>")
        if tag.name == "script" and not tag.attrs.get("src"):
            kind = tag.attrs.get("type", "text/javascript")
            if kind in ("application/json", "application/ld+json"):
                continue
            if tag.attrs.get("nonce") not in nonces:
                problems.append("inline <script> without the page's nonce: " + tag.text[:80])
        if (
            tag.name == "style"
            and tag.attrs.get("nonce") not in style_nonces
            and "'unsafe-inline'" not in style_src
        ):
            problems.append("inline <style> without the page's nonce: " + tag.text[:60])
    return problems


@dataclass
class Client:
    """requests with the cookies kept by hand (``Secure`` cookies over the proxy's plain HTTP)."""

    base: str
    cookies: dict[str, str] = field(default_factory=dict)
    session: requests.Session = field(default_factory=requests.Session)

    def _headers(self, extra: dict[str, str] | None = None) -> dict[str, str]:
        headers = {"X-Forwarded-Proto": "https", "Accept-Language": "ja"}
        if self.cookies:
            headers["Cookie"] = "; ".join(f"{k}={v}" for k, v in self.cookies.items())
        headers.update(extra or {})
        return headers

    def _remember(self, response: requests.Response) -> None:
        for raw in response.raw.headers.getlist("Set-Cookie"):
            cookie = SimpleCookie()
            cookie.load(raw)
            for name, morsel in cookie.items():
                if morsel["max-age"] == "0" or not morsel.value:
                    self.cookies.pop(name, None)
                else:
                    self.cookies[name] = morsel.value

    def request(
        self, method: str, url: str, *, follow: bool = False, **kwargs: object
    ) -> requests.Response:
        url = urljoin(self.base, url)
        for _hop in range(5):
            response = self.session.request(
                method,
                url,
                headers=self._headers(kwargs.pop("headers", None)),  # type: ignore[arg-type]
                allow_redirects=False,
                timeout=60,
                **kwargs,  # type: ignore[arg-type]
            )
            self._remember(response)
            if not (follow and response.is_redirect):
                return response
            location = response.headers["Location"]
            url = urljoin(self.base, urlsplit(location)._replace(scheme="", netloc="").geturl())
            method, kwargs = "GET", {}
        return response

    def get(self, url: str, **kwargs: object) -> requests.Response:
        return self.request("GET", url, **kwargs)

    def login(self, username: str, password: str, codes: list[str] | None = None) -> None:
        """Sign in at the admin's login page; with ``codes``, then give one recovery code on
        the second-factor page (administrators need it in production)."""
        page = self.get("/admin/login/")
        token = re.search(r'name="csrfmiddlewaretoken" value="([^"]+)"', page.text)
        assert page.status_code == 200 and token, page.status_code
        origin = "https://" + urlsplit(self.base).netloc
        response = self.request(
            "POST",
            "/admin/login/?next=/admin/",
            data={
                "username": username,
                "password": password,
                "csrfmiddlewaretoken": token.group(1),
                "next": "/admin/",
            },
            headers={"Origin": origin, "Referer": origin + "/admin/login/"},
        )
        assert response.status_code == 302, (response.status_code, response.text[:500])
        assert "sessionid" in self.cookies
        if codes:
            page = self.get("/accounts/two-factor/?next=/admin/")
            token = re.search(r'name="csrfmiddlewaretoken" value="([^"]+)"', page.text)
            assert page.status_code == 200 and token, page.status_code
            response = self.request(
                "POST",
                "/accounts/two-factor/?next=/admin/",
                data={"token": codes.pop(), "csrfmiddlewaretoken": token.group(1)},
                headers={"Origin": origin, "Referer": origin + "/accounts/two-factor/"},
            )
            assert response.status_code == 302, (response.status_code, response.text[:500])


def content_type_ok(url: str, content_type: str) -> bool:
    path = urlsplit(url).path
    suffix = path[path.rfind(".") :] if "." in path.rsplit("/", 1)[-1] else ""
    expected = CONTENT_TYPES.get(suffix)
    if expected is None:
        return True
    return content_type.split(";")[0].strip() in expected
