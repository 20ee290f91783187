"""visitors: who a request is, and how much they may take an hour."""

from types import SimpleNamespace

from ui import settings, visitors
from ui.visitors import COOKIE, Allowance


def _request(cookie: str = "", peer: str = "198.51.100.7", forwarded: str = ""):
    headers = {k: v for k, v in (("cookie", cookie), ("x-forwarded-for", forwarded)) if v}
    return SimpleNamespace(headers=headers, client=SimpleNamespace(host=peer))


def test_a_visitor_is_their_cookies_hash_or_their_address():
    named = visitors.of(_request(f"other=1; {COOKIE}=tok3n"))
    assert named == visitors.key("tok3n") and named.startswith("c:") and "tok3n" not in named
    assert visitors.of(_request(f"{COOKIE}=tok3n", peer="203.0.113.1")) == named  # the cookie, wherever from
    assert visitors.of(_request()) == "a:198.51.100.7"
    assert visitors.of(_request('a="\\x; ' + COOKIE + "=;")) == "a:198.51.100.7"  # a malformed header: no cookie


def test_an_address_behind_our_own_proxies_is_the_one_the_nearest_saw(monkeypatch):
    spoofed = "6.6.6.6, 203.0.113.5"  # the client wrote the first; our proxy appended the second
    monkeypatch.setattr(settings, "PROXY_HOPS", 0)
    assert visitors.address_of(_request(forwarded=spoofed)) == "198.51.100.7"  # no proxy of ours: the header is the client's
    monkeypatch.setattr(settings, "PROXY_HOPS", 1)
    assert visitors.address_of(_request(forwarded=spoofed)) == "203.0.113.5"
    assert visitors.address_of(_request()) == "198.51.100.7"  # a request that came round the proxy


def test_the_allowance_counts_each_visitor_and_their_address_for_an_hour(monkeypatch):
    monkeypatch.setattr(settings, "PER_ADDRESS", 2)
    allowance = Allowance({"uploads": 2, "bytes": 100})
    for _ in range(2):
        assert allowance.over("c:one", "a", {"uploads": 1, "bytes": 10}) is None
        allowance.take("c:one", "a", {"uploads": 1, "bytes": 10})
    assert allowance.over("c:one", "a", {"uploads": 1, "bytes": 10}) == "uploads"
    assert allowance.over("c:two", "a", {"uploads": 1, "bytes": 101}) == "bytes"  # one visitor's 100
    assert allowance.over("c:two", "a", {"uploads": 1, "bytes": 80}) is None  # a second visitor's own
    allowance.take("c:two", "a", {"uploads": 2, "bytes": 20})
    assert allowance.over("c:three", "a", {"uploads": 1, "bytes": 1}) == "uploads"  # 4 of the address's 4
    assert allowance.over("c:three", "b", {"uploads": 1, "bytes": 1}) is None
    later = visitors.time.monotonic() + visitors.HOUR_S + 1
    monkeypatch.setattr(visitors.time, "monotonic", lambda: later)
    assert allowance.over("c:one", "a", {"uploads": 2, "bytes": 100}) is None  # an hour on: all of it again
