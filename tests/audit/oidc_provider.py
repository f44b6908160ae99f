"""A small OpenID Connect provider for tests, on a local port (18400-18499).

It serves discovery, authorize, token, JWKS and userinfo as a provider does: the authorize
endpoint checks the client and redirect URI and answers with a one-time code bound to the
state, nonce and redirect URI; the token endpoint checks HTTP Basic client authentication, the
code (once only) and the redirect URI, and returns an RS256 id_token signed with a key whose
public half is in the JWKS; errors are answered in the shape of RFC 6749 (``invalid_client``,
``invalid_grant``…). Every request is kept in ``requests`` so tests can check what the app sent.
``tamper`` changes the next id_token (wrong audience, issuer, nonce, expired, other key).
"""

from __future__ import annotations

import base64
import json
import secrets
import socket
import threading
import time
from dataclasses import dataclass, field
from http.server import BaseHTTPRequestHandler, ThreadingHTTPServer
from typing import Any
from urllib.parse import parse_qs, urlencode, urlparse

import jwt
from cryptography.hazmat.primitives.asymmetric import rsa
from jwt.algorithms import RSAAlgorithm

PORTS = range(18400, 18500)


@dataclass
class Seen:
    method: str
    path: str
    query: dict[str, str]
    form: dict[str, str]
    headers: dict[str, str]


@dataclass
class Provider:
    client_id: str = "engagement-app"
    client_secret: str = "s3cret-from-the-idp"
    redirect_uris: set[str] = field(default_factory=set)
    claims: dict[str, Any] = field(default_factory=dict)
    tamper: dict[str, Any] = field(default_factory=dict)
    requests: list[Seen] = field(default_factory=list)
    codes: dict[str, dict[str, Any]] = field(default_factory=dict)
    access_tokens: dict[str, dict[str, Any]] = field(default_factory=dict)
    port: int = 0
    kid: str = "test-key-1"

    def __post_init__(self) -> None:
        self.key = rsa.generate_private_key(public_exponent=65537, key_size=2048)
        self.other_key = rsa.generate_private_key(public_exponent=65537, key_size=2048)

    @property
    def issuer(self) -> str:
        return f"http://127.0.0.1:{self.port}"

    def seen(self, path: str) -> list[Seen]:
        return [r for r in self.requests if r.path == path]

    def jwks(self) -> dict[str, Any]:
        public = json.loads(RSAAlgorithm.to_jwk(self.key.public_key()))
        public.update({"kid": self.kid, "alg": "RS256", "use": "sig"})
        return {"keys": [public]}

    def id_token(self, *, nonce: str, sub: str) -> str:
        now = int(time.time())
        payload = {
            "iss": self.issuer,
            "aud": self.client_id,
            "sub": sub,
            "iat": now,
            "exp": now + 300,
            "nonce": nonce,
            "email": self.claims.get("email"),
        }
        payload.update({k: v for k, v in self.tamper.items() if k in payload})
        if self.tamper.get("expired"):
            payload["iat"], payload["exp"] = now - 3600, now - 600
        key = self.other_key if self.tamper.get("other_key") else self.key
        return jwt.encode(payload, key, algorithm="RS256", headers={"kid": self.kid})


class _Handler(BaseHTTPRequestHandler):
    provider: Provider

    def log_message(self, *args: Any) -> None:
        pass

    def _send(self, status: int, body: Any = None, headers: dict[str, str] | None = None) -> None:
        data = b"" if body is None else json.dumps(body).encode()
        self.send_response(status)
        for name, value in (headers or {}).items():
            self.send_header(name, value)
        if body is not None:
            self.send_header("Content-Type", "application/json")
            self.send_header("Cache-Control", "no-store")
        self.send_header("Content-Length", str(len(data)))
        self.end_headers()
        self.wfile.write(data)

    def _seen(self, form: dict[str, str]) -> Seen:
        url = urlparse(self.path)
        seen = Seen(
            method=self.command,
            path=url.path,
            query={k: v[0] for k, v in parse_qs(url.query).items()},
            form=form,
            headers={k.lower(): v for k, v in self.headers.items()},
        )
        self.provider.requests.append(seen)
        return seen

    def do_GET(self) -> None:
        seen = self._seen({})
        p = self.provider
        if seen.path == "/.well-known/openid-configuration":
            self._send(
                200,
                {
                    "issuer": p.issuer,
                    "authorization_endpoint": f"{p.issuer}/authorize",
                    "token_endpoint": f"{p.issuer}/token",
                    "userinfo_endpoint": f"{p.issuer}/userinfo",
                    "jwks_uri": f"{p.issuer}/jwks",
                    "response_types_supported": ["code"],
                    "subject_types_supported": ["public"],
                    "id_token_signing_alg_values_supported": ["RS256"],
                    "token_endpoint_auth_methods_supported": ["client_secret_basic"],
                },
            )
        elif seen.path == "/jwks":
            self._send(200, p.jwks())
        elif seen.path == "/authorize":
            self._authorize(seen)
        elif seen.path == "/userinfo":
            auth = seen.headers.get("authorization", "")
            token = auth.removeprefix("Bearer ")
            if not auth.startswith("Bearer ") or token not in p.access_tokens:
                self._send(401, {"error": "invalid_token"}, {"WWW-Authenticate": "Bearer"})
                return
            self._send(200, p.access_tokens[token])
        else:
            self._send(404, {"error": "not_found"})

    def _authorize(self, seen: Seen) -> None:
        p, q = self.provider, seen.query
        if q.get("client_id") != p.client_id or q.get("redirect_uri") not in p.redirect_uris:
            self._send(400, {"error": "invalid_request"})  # never redirect to an unknown URI
            return
        target = q["redirect_uri"]
        if q.get("response_type") != "code" or "openid" not in q.get("scope", "").split():
            error = {"error": "unsupported_response_type", "state": q.get("state", "")}
            self._send(302, None, {"Location": f"{target}?{urlencode(error)}"})
            return
        if p.tamper.get("deny"):
            error = {"error": "access_denied", "state": q.get("state", "")}
            self._send(302, None, {"Location": f"{target}?{urlencode(error)}"})
            return
        code = secrets.token_urlsafe(16)
        p.codes[code] = {"nonce": q.get("nonce", ""), "redirect_uri": target, "used": False}
        state = p.tamper.get("state", q.get("state", ""))
        self._send(302, None, {"Location": f"{target}?{urlencode({'code': code, 'state': state})}"})

    def do_POST(self) -> None:
        length = int(self.headers.get("Content-Length") or 0)
        raw = self.rfile.read(length).decode()
        form = {k: v[0] for k, v in parse_qs(raw).items()}
        seen = self._seen(form)
        p = self.provider
        if seen.path != "/token":
            self._send(404, {"error": "not_found"})
            return
        auth = seen.headers.get("authorization", "")
        try:
            user, _sep, password = (
                base64.b64decode(auth.removeprefix("Basic ")).decode().partition(":")
            )
        except ValueError:
            user = password = ""
        if not auth.startswith("Basic ") or (user, password) != (p.client_id, p.client_secret):
            self._send(401, {"error": "invalid_client"}, {"WWW-Authenticate": "Basic"})
            return
        code = p.codes.get(form.get("code", ""))
        if form.get("grant_type") != "authorization_code" or code is None or code["used"]:
            self._send(400, {"error": "invalid_grant"})
            return
        if form.get("redirect_uri") != code["redirect_uri"]:
            self._send(400, {"error": "invalid_grant"})
            return
        code["used"] = True
        access = secrets.token_urlsafe(16)
        p.access_tokens[access] = dict(p.claims)
        nonce = p.tamper.get("nonce", code["nonce"])
        body = {
            "access_token": access,
            "token_type": "Bearer",
            "expires_in": 300,
            "id_token": p.id_token(nonce=nonce, sub=str(p.claims.get("sub", "user-1"))),
        }
        self._send(200, body)


def _free_port() -> int:
    for port in PORTS:
        with socket.socket() as sock:
            try:
                sock.bind(("127.0.0.1", port))
            except OSError:
                continue
            return port
    raise RuntimeError("no free port in 18400-18499")


class RunningProvider:
    def __init__(self, provider: Provider) -> None:
        self.provider = provider
        handler = type("Handler", (_Handler,), {"provider": provider})
        for _attempt in range(5):
            provider.port = _free_port()
            try:
                self.server = ThreadingHTTPServer(("127.0.0.1", provider.port), handler)
                break
            except OSError:
                continue
        self.thread = threading.Thread(target=self.server.serve_forever, daemon=True)

    def __enter__(self) -> Provider:
        self.thread.start()
        return self.provider

    def __exit__(self, *exc: Any) -> None:
        self.server.shutdown()
        self.server.server_close()
