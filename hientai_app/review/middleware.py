"""Every answer: the page language (``?lang=`` remembered in a cookie, else the cookie, else
the default) and headers that forbid scripts, framing and caching. Plain ASGI, so it costs a
page almost nothing."""

from __future__ import annotations

from starlette.datastructures import MutableHeaders
from starlette.requests import HTTPConnection
from starlette.types import ASGIApp, Message, Receive, Scope, Send

from hientai_app.review.i18n import LANGUAGES

# Pages use no script at all; nothing may frame them; nothing is cached (personal data).
SECURITY_HEADERS = {
    "Content-Security-Policy": "default-src 'self'; style-src 'self' 'unsafe-inline'; "
    "img-src 'self' data:; script-src 'none'; frame-ancestors 'none'; form-action 'self'",
    "X-Content-Type-Options": "nosniff",
    "Referrer-Policy": "same-origin",
    "Cache-Control": "no-store",
}
LANG_COOKIE = "lang={lang}; Max-Age=31536000; Path=/; SameSite=strict; HttpOnly"


class LanguageAndHeaders:
    def __init__(self, app: ASGIApp, *, default_language: str) -> None:
        self.app = app
        self.default_language = default_language

    async def __call__(self, scope: Scope, receive: Receive, send: Send) -> None:
        if scope["type"] != "http":
            await self.app(scope, receive, send)
            return
        connection = HTTPConnection(scope)
        asked = connection.query_params.get("lang")
        chosen = connection.cookies.get("lang")
        lang = next((x for x in (asked, chosen) if x in LANGUAGES), self.default_language)
        scope.setdefault("state", {})["lang"] = lang

        async def send_with_headers(message: Message) -> None:
            if message["type"] == "http.response.start":
                headers = MutableHeaders(scope=message)
                for name, value in SECURITY_HEADERS.items():
                    headers[name] = value
                if asked in LANGUAGES:
                    headers.append("set-cookie", LANG_COOKIE.format(lang=asked))
            await send(message)

        await self.app(scope, receive, send_with_headers)
