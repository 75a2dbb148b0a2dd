"""A client for SandboxGrains' seed 002 daemon-proxy routes and its everyday native API.

Standard library only. Calls are coroutines (each HTTP exchange runs on a worker thread through asyncio.to_thread), so
code written against seed 002's asyncio client keeps its shape:

    async with DaemonProxyClient("http://localhost:8080", api_key="...") as client:
        link = await client.get_preview_link(6080)
        print(link.url, link.token)
"""

from __future__ import annotations

import asyncio
import json
import os
import urllib.error
import urllib.parse
import urllib.request
from dataclasses import dataclass, field
from typing import Any, Optional

__all__ = [
    "DaemonProxyClient",
    "PreviewLink",
    "SandboxGrainsError",
    "get_preview_link",
    "get_vnc_preview_link",
    "get_website_preview_link",
]

VNC_PORT = 6080
WEBSITE_PORT = 8080


class SandboxGrainsError(Exception):
    """An answer other than success: its HTTP status, the problem's stable code, and what went wrong in words."""

    def __init__(self, status: int, code: Optional[str], message: str):
        super().__init__(f"{status} {code or ''}: {message}".replace("  ", " "))
        self.status = status
        self.code = code
        self.message = message


@dataclass
class PreviewLink:
    """A preview link: `url` opens the port in a browser as it is; `token` is its credential (shown once)."""

    url: str
    token: str
    port: int
    id: Optional[str] = None
    host_url: Optional[str] = None
    expires_at: Optional[str] = None
    raw: dict = field(default_factory=dict, repr=False)

    @classmethod
    def from_json(cls, body: dict) -> "PreviewLink":
        return cls(
            url=body["url"],
            token=body["token"],
            port=body["port"],
            id=body.get("id"),
            host_url=body.get("hostUrl"),
            expires_at=body.get("expiresAt"),
            raw=body,
        )


class DaemonProxyClient:
    """Seed 002's client calls (`health_check`, `get_preview_link`, …) and the native API's everyday ones."""

    def __init__(self, base_url: Optional[str] = None, api_key: Optional[str] = None, timeout: float = 120.0):
        self.base_url = (base_url or os.environ.get("DAEMON_PROXY_URL") or "http://localhost:8080").rstrip("/")
        self.api_key = api_key if api_key is not None else os.environ.get("SANDBOXGRAINS_API_KEY")
        self.timeout = timeout

    async def __aenter__(self) -> "DaemonProxyClient":
        return self

    async def __aexit__(self, *exc_info: Any) -> None:
        return None

    # Seed 002's calls, about the service's default target.

    async def health_check(self) -> dict:
        return await self._json("GET", "/health", authenticated=False, accept_statuses=(200, 503))

    async def daemon_status(self) -> dict:
        return await self._json("GET", "/daemon/status")

    async def get_preview_link(self, port: int, expires_in_seconds: Optional[int] = None) -> PreviewLink:
        body: dict = {"port": port}
        if expires_in_seconds is not None:
            body["expiresInSeconds"] = expires_in_seconds
        return PreviewLink.from_json(await self._json("POST", "/api/preview/create", body))

    async def get_vnc_preview_link(self) -> PreviewLink:
        return await self.get_preview_link(VNC_PORT)

    async def get_website_preview_link(self) -> PreviewLink:
        return await self.get_preview_link(WEBSITE_PORT)

    async def get_preview_stats(self) -> dict:
        return await self._json("GET", "/api/preview/stats")

    async def revoke_preview_link(self, token: str) -> bool:
        await self._json("DELETE", f"/api/preview/{urllib.parse.quote(token, safe='')}")
        return True

    # The native API's everyday calls.

    async def create_sandbox(self, image: Optional[str] = None, **fields: Any) -> dict:
        body = {k: v for k, v in {"image": image, **fields}.items() if v is not None}
        return await self._json("POST", "/api/v1/sandboxes", body)

    async def get_sandbox(self, sandbox_id: str) -> dict:
        return await self._json("GET", f"/api/v1/sandboxes/{_segment(sandbox_id)}")

    async def list_sandboxes(self, labels: Optional[dict] = None, state: Optional[str] = None) -> list:
        query = [("label", f"{k}={v}") for k, v in (labels or {}).items()] + ([("state", state)] if state else [])
        sandboxes: list = []
        cursor: Optional[str] = None
        while True:
            page = await self._json("GET", "/api/v1/sandboxes?" + urllib.parse.urlencode(query + ([("cursor", cursor)] if cursor else [])))
            sandboxes.extend(page["items"])
            cursor = page.get("nextCursor")
            if not cursor:
                return sandboxes

    async def execute(self, sandbox_id: str, command: str, cwd: Optional[str] = None, timeout: Optional[int] = None) -> dict:
        body = {k: v for k, v in {"command": command, "cwd": cwd, "timeout": timeout}.items() if v is not None}
        return await self._json("POST", f"/toolbox/{_segment(sandbox_id)}/process/execute", body)

    async def upload(self, sandbox_id: str, path: str, content: bytes) -> None:
        query = urllib.parse.urlencode({"path": path})
        await self._send("POST", f"/toolbox/{_segment(sandbox_id)}/files/upload?{query}", content, "application/octet-stream")

    async def download(self, sandbox_id: str, path: str) -> bytes:
        query = urllib.parse.urlencode({"path": path})
        _, body = await self._send("GET", f"/toolbox/{_segment(sandbox_id)}/files/download?{query}")
        return body

    async def delete_sandbox(self, sandbox_id: str) -> None:
        await self._send("DELETE", f"/api/v1/sandboxes/{_segment(sandbox_id)}")

    # One exchange on a worker thread: urllib blocks, the caller's event loop does not.

    async def _json(self, method: str, path: str, body: Any = None, authenticated: bool = True, accept_statuses: tuple = ()) -> Any:
        data = None if body is None else json.dumps(body).encode()
        _, answer = await self._send(method, path, data, "application/json" if data is not None else None, authenticated, accept_statuses)
        return json.loads(answer) if answer else None

    async def _send(self, method: str, path: str, data: Optional[bytes] = None, content_type: Optional[str] = None,
                    authenticated: bool = True, accept_statuses: tuple = ()) -> tuple:
        return await asyncio.to_thread(self._exchange, method, path, data, content_type, authenticated, accept_statuses)

    def _exchange(self, method: str, path: str, data: Optional[bytes], content_type: Optional[str],
                  authenticated: bool, accept_statuses: tuple) -> tuple:
        request = urllib.request.Request(self.base_url + path, data=data, method=method)
        if content_type:
            request.add_header("Content-Type", content_type)
        if authenticated and self.api_key:
            request.add_header("Authorization", f"Bearer {self.api_key}")
        try:
            with urllib.request.urlopen(request, timeout=self.timeout) as response:
                return response.status, response.read()
        except urllib.error.HTTPError as error:
            body = error.read()
            if error.code in accept_statuses:
                return error.code, body
            raise _problem(error.code, body) from None


def _segment(value: str) -> str:
    return urllib.parse.quote(value, safe="")


def _problem(status: int, body: bytes) -> SandboxGrainsError:
    try:
        problem = json.loads(body)
        return SandboxGrainsError(status, problem.get("code"), problem.get("detail") or problem.get("title") or "")
    except (ValueError, AttributeError):
        return SandboxGrainsError(status, None, body.decode(errors="replace")[:500])


# Seed 002's module-level helpers: the service at DAEMON_PROXY_URL, with SANDBOXGRAINS_API_KEY.

async def get_preview_link(port: int) -> PreviewLink:
    async with DaemonProxyClient() as client:
        return await client.get_preview_link(port)


async def get_vnc_preview_link() -> PreviewLink:
    return await get_preview_link(VNC_PORT)


async def get_website_preview_link() -> PreviewLink:
    return await get_preview_link(WEBSITE_PORT)
