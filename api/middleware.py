"""ASGI middleware: the request-body size limit and the security headers of every answer.

BodySizeLimit: a request-body size limit that also holds for chunked uploads
without Content-Length.

The body is read (up to the limit) before the app runs, so an oversized upload
is refused with 413 before any handler or parser sees a byte of it.

A client that writes its whole body before reading the answer (Python's urllib
and requests do) would see a connection reset instead of the 413 if the server
answered and closed with the rest of the body unread: the kernel resets a
socket closed with data still in it.  So the rest of the body is read and
discarded first, up to DRAIN_BYTES more, unless the client asked for
`Expect: 100-continue` (curl does for large bodies): that client has sent
nothing yet and reads the 413 at once.
"""

from __future__ import annotations

import json

from starlette.types import ASGIApp, Message, Receive, Scope, Send

from api.errors import BODY_TOO_LARGE

DRAIN_BYTES = 64 * 1024 * 1024
"""How much of a refused body is read and thrown away so that the client can read the 413."""


class BodySizeLimit:
    def __init__(self, app: ASGIApp, max_bytes: int) -> None:
        self.app = app
        self.max_bytes = max_bytes

    async def __call__(self, scope: Scope, receive: Receive, send: Send) -> None:
        if scope["type"] != "http":
            await self.app(scope, receive, send)
            return
        headers = dict(scope.get("headers") or [])
        declared = headers.get(b"content-length")
        if declared is not None and declared.isdigit() and int(declared) > self.max_bytes:
            if headers.get(b"expect", b"").lower() != b"100-continue":
                await _drain(receive, int(declared))
            await self._refuse(send)
            return
        chunks: list[bytes] = []
        size = 0
        while True:
            message = await receive()
            if message["type"] != "http.request":
                break  # client went away; let the app see the disconnect
            chunk = message.get("body", b"")
            size += len(chunk)
            if size > self.max_bytes:
                if message.get("more_body", False):
                    await _drain(receive, DRAIN_BYTES)
                await self._refuse(send)
                return
            chunks.append(chunk)
            if not message.get("more_body", False):
                break
        body = b"".join(chunks)
        replayed = False

        async def replay() -> Message:
            nonlocal replayed
            if not replayed:
                replayed = True
                return {"type": "http.request", "body": body, "more_body": False}
            return await receive()

        await self.app(scope, replay, send)

    async def _refuse(self, send: Send) -> None:
        detail = BODY_TOO_LARGE.format(limit=self.max_bytes)
        payload = json.dumps({"detail": detail}, ensure_ascii=False).encode("utf-8")
        await send(
            {
                "type": "http.response.start",
                "status": 413,
                "headers": [
                    (b"content-type", b"application/json"),
                    (b"content-length", str(len(payload)).encode()),
                    (b"connection", b"close"),
                ],
            }
        )
        await send({"type": "http.response.body", "body": payload})


async def _drain(receive: Receive, declared: int) -> None:
    """Read and drop the rest of the body: at most DRAIN_BYTES, never past what was declared."""
    left = min(declared, DRAIN_BYTES)
    while left > 0:
        message = await receive()
        if message["type"] != "http.request":
            return
        left -= len(message.get("body", b""))
        if not message.get("more_body", False):
            return


PAGE_POLICY = (
    "default-src 'self'; script-src 'self'; style-src 'self'; img-src 'self' data:; "
    "font-src 'self'; connect-src 'self'; object-src 'none'; base-uri 'none'; "
    "form-action 'self'; frame-ancestors 'none'"
)
"""Everything from the service itself; no inline script or style (the pages keep to it)."""

DOCS_POLICY = (
    "default-src 'self'; script-src 'self'; style-src 'self' 'unsafe-inline'; "
    "font-src 'self' data:; img-src 'self' data:; worker-src 'self' blob:; "
    "connect-src 'self'; object-src 'none'; base-uri 'none'; frame-ancestors 'none'"
)
"""/docs and /redoc (api/docs.py): every script is the service's own file; Swagger UI and
ReDoc set inline styles, and ReDoc runs its search in a blob: worker."""

DOCS_PATHS = ("/docs", "/redoc")

SECURITY_HEADERS = (
    (b"x-frame-options", b"DENY"),
    (b"x-content-type-options", b"nosniff"),
    (b"referrer-policy", b"same-origin"),
    (b"cross-origin-opener-policy", b"same-origin"),
)
"""On every answer.  Referrer-Policy: same-origin, not no-referrer: with no-referrer a
browser sends `Origin: null` on form posts, which the pages must refuse (api/pages/common.py)."""


class SecurityHeaders:
    """Adds the Content-Security-Policy and the headers above to every HTTP answer
    (a header the app set itself is left alone)."""

    def __init__(self, app: ASGIApp, docs_paths: tuple[str, ...] = DOCS_PATHS) -> None:
        self.app = app
        self.docs_paths = docs_paths

    async def __call__(self, scope: Scope, receive: Receive, send: Send) -> None:
        if scope["type"] != "http":
            await self.app(scope, receive, send)
            return
        path: str = scope.get("path", "")
        docs = any(path == p or path.startswith(p + "/") for p in self.docs_paths)
        policy = (DOCS_POLICY if docs else PAGE_POLICY).encode()

        async def send_with_headers(message: Message) -> None:
            if message["type"] == "http.response.start":
                headers = list(message.get("headers", []))
                present = {name.lower() for name, _ in headers}
                extra = [(b"content-security-policy", policy), *SECURITY_HEADERS]
                headers += [(name, value) for name, value in extra if name not in present]
                message = {**message, "headers": headers}
            await send(message)

        await self.app(scope, receive, send_with_headers)
