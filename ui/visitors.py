"""Who is asking, and how much one visitor may take.

A visitor is their session cookie (``private_files`` hands every browser and client one), kept only as a
hash, or, where a client sends no cookie, their address. An address also stands for everyone behind it:
a script that throws its cookie away after each request gets a new visitor each time, so each limit holds
per address too, ``PER_ADDRESS`` times over (several visitors may share one address: a home, an office).
"""

from __future__ import annotations

import hashlib
import threading
import time
from collections import defaultdict, deque
from http.cookies import CookieError, SimpleCookie

from ui import settings

COOKIE = "deepstyle_session"
HOUR_S = 3600.0
MAX_KEPT = 100_000  # visitors and addresses counted before the idle ones are forgotten


def key(token: str) -> str:
    """The records' name for a session cookie: its hash, so that the database opens no one's files."""
    return "c:" + hashlib.sha256(token.encode("utf-8", "surrogateescape")).hexdigest()[:40]


def cookie_in(header: str | None) -> str | None:
    """The session cookie in a ``Cookie`` header, or None (none, or a header that cannot be read)."""
    if not header:
        return None
    try:
        morsel = SimpleCookie(header).get(COOKIE)
    except CookieError:
        return None
    return morsel.value if morsel and morsel.value else None


def address(peer: str | None, forwarded: str | None) -> str:
    """The caller's address: the peer's, or behind ``settings.PROXY_HOPS`` proxies of our own (a Space's) the
    one the nearest of them saw, read from the right of ``X-Forwarded-For`` (the left is the client's to write)."""
    hops = [hop.strip() for hop in (forwarded or "").split(",") if hop.strip()]
    if settings.PROXY_HOPS and len(hops) >= settings.PROXY_HOPS:
        return hops[-settings.PROXY_HOPS]
    return peer or "unknown"


def of(request) -> str:
    """The visitor making ``request`` (a ``gr.Request`` or a Starlette request): their cookie's key, or
    ``a:<address>`` without one."""
    token = cookie_in(request.headers.get("cookie"))
    return key(token) if token else "a:" + address_of(request)


def address_of(request) -> str:
    return address(request.client.host if request.client else None, request.headers.get("x-forwarded-for"))


class Allowance:
    """How much of each thing (uploads, shares, bytes kept) a visitor and an address took in the last hour."""

    def __init__(self, limits: dict[str, float]):
        self.limits = limits
        self.taken: dict[tuple[str, str], deque] = defaultdict(deque)
        self.lock = threading.Lock()

    def over(self, visitor: str, where: str, amounts: dict[str, float]) -> str | None:
        """Which limit ``amounts`` more would pass for ``visitor`` or the address ``where``, or None."""
        now = time.monotonic()
        with self.lock:
            for who, share in ((visitor, 1), ("a:" + where, settings.PER_ADDRESS)):
                for thing, amount in amounts.items():
                    if self._used(who, thing, now) + amount > self.limits[thing] * share:
                        return thing
        return None

    def take(self, visitor: str, where: str, amounts: dict[str, float]) -> None:
        """Count ``amounts`` (what was kept) against ``visitor`` and the address ``where``."""
        now = time.monotonic()
        with self.lock:
            if len(self.taken) > MAX_KEPT:  # forget those with nothing in the last hour
                for name in [name for name, taken in self.taken.items() if not taken or taken[-1][0] < now - HOUR_S]:
                    del self.taken[name]
            for who in {visitor, "a:" + where}:
                for thing, amount in amounts.items():
                    self.taken[(who, thing)].append((now, amount))

    def _used(self, who: str, thing: str, now: float) -> float:
        taken = self.taken[(who, thing)]
        while taken and taken[0][0] < now - HOUR_S:
            taken.popleft()
        return sum(amount for _, amount in taken)
