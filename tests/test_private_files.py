"""private_files.PrivateFiles on a stand-in app: cookies, ownership, public files, links kept and opened.
The events' own checks, and every route, are tried on the real server in test_attacks.py."""

import json
import shutil
import sqlite3

from starlette.applications import Starlette
from starlette.middleware import Middleware
from starlette.responses import JSONResponse, PlainTextResponse
from starlette.routing import Route
from starlette.testclient import TestClient

from ui.private_files import Files, PrivateFiles
from ui.words import say
from ui.records import Records
from ui.visitors import COOKIE, Allowance, key


def _records(tmp_path, share_days: float = 30) -> Records:
    return Records(tmp_path / "data", keep_hours=24, share_days=share_days)


def _app(tmp_path, records: Records | None = None, **kwargs):
    mine, public = tmp_path / "mine.png", tmp_path / "gallery.png"
    mine.write_bytes(b"mine")
    public.write_bytes(b"gallery")

    made = iter(range(10**6))

    async def upload(request):  # the visitor's photo, the gallery's, and a new file each time
        fresh = tmp_path / f"fresh-{next(made)}.png"
        fresh.write_bytes(b"fresh")
        return JSONResponse([str(mine), str(public), str(fresh)])

    async def file(request):
        return PlainTextResponse("served")

    routes = [Route("/gradio_api/upload", upload, methods=["POST"]), Route("/gradio_api/file={p:path}", file)]
    config = {"components": [{"props": {"value": {"path": str(public), "url": "x"}}}]}
    files = Files(records or _records(tmp_path), lambda: config, lambda: str(tmp_path / "cache"))
    app = Starlette(routes=routes, middleware=[Middleware(PrivateFiles, files=files, **kwargs)])
    return app, mine, public


def test_cookie_is_set_once_and_suits_the_scheme(tmp_path):
    app, _, public = _app(tmp_path)
    client = TestClient(app)
    first = client.get(f"/gradio_api/file={public}")
    assert "samesite=lax" in first.headers["set-cookie"].lower() and "httponly" in first.headers["set-cookie"].lower()
    assert "max-age=86400" in first.headers["set-cookie"].lower()  # a browser restarted keeps it while the files are kept
    assert "set-cookie" not in client.get(f"/gradio_api/file={public}").headers  # the client sent it back
    proxied = TestClient(app).get(f"/gradio_api/file={public}", headers={"x-forwarded-proto": "https"})
    assert "SameSite=None; Secure; Partitioned" in proxied.headers["set-cookie"]  # a Space's iframe
    odd = TestClient(app).get(f"/gradio_api/file={public}", headers={"cookie": 'a="\\x; ' + COOKIE + "=;"})
    assert odd.status_code == 200 and COOKIE in odd.headers["set-cookie"]  # a malformed header: a new session


def test_an_upload_is_its_sessions_and_config_files_stay_public(tmp_path):
    app, mine, public = _app(tmp_path)
    owner, other = TestClient(app), TestClient(app)
    owner.get("/gradio_api/file=/nothing")
    other.get("/gradio_api/file=/nothing")
    owner.post("/gradio_api/upload")
    assert owner.get(f"/gradio_api/file={mine}").text == "served"
    assert other.get(f"/gradio_api/file={mine}").status_code == 403
    assert other.get(f"/gradio_api/file={tmp_path}/%2E%2E/{tmp_path.name}/mine.png").status_code == 403  # same file, other spelling
    assert other.get(f"/gradio_api/file={public}").text == "served"


def test_owners_outlive_a_restart_and_a_file_no_record_names_is_served_to_no_one(tmp_path):
    app, mine, public = _app(tmp_path)
    owner, other = TestClient(app), TestClient(app)
    owner.get(f"/gradio_api/file={public}")  # the cookie, then the upload
    owner.post("/gradio_api/upload")
    stray = tmp_path / "stray.png"  # in the cache, but no record names it (made before a rebuilt database)
    stray.write_bytes(b"stray")
    restarted, _, _ = _app(tmp_path, Records(tmp_path / "data", keep_hours=24, share_days=30))  # the same database, reopened
    owner, other = TestClient(restarted, cookies=owner.cookies), TestClient(restarted)
    assert owner.get(f"/gradio_api/file={mine}").text == "served"  # the cookie still opens its own files
    assert other.get(f"/gradio_api/file={mine}").status_code == 403
    assert owner.get(f"/gradio_api/file={stray}").status_code == 403 and other.get(f"/gradio_api/file={stray}").status_code == 403
    assert other.get(f"/gradio_api/file={public}").text == "served"
    kept = sqlite3.connect(tmp_path / "data" / "records.sqlite3").execute("SELECT DISTINCT session FROM owners").fetchall()
    assert kept == [(key(owner.cookies[COOKIE]),)]  # the cookie itself is in no record: only its hash


def _with_cookie(app, **kwargs) -> TestClient:
    client = TestClient(app, **kwargs)
    client.get("/gradio_api/file=/nothing")
    return client


def test_a_client_that_sends_no_cookie_owns_its_files_by_its_address(tmp_path):
    app, mine, _public = _app(tmp_path)
    TestClient(app).post("/gradio_api/upload")  # its cookie thrown away, as a script may
    assert _with_cookie(app).get(f"/gradio_api/file={mine}").status_code == 403  # a visitor with a cookie: not theirs
    assert TestClient(app).get(f"/gradio_api/file={mine}").text == "served"  # no cookie, the same address: the same one
    assert TestClient(app, client=("203.0.113.9", 1234)).get(f"/gradio_api/file={mine}").status_code == 403


def test_odd_file_urls_are_refused_not_failed(tmp_path):
    app, mine, public = _app(tmp_path)
    client = TestClient(app)
    for odd in (f"{mine}%00", "%00", f"{public}%00.png", "/etc/passwd", f"{tmp_path}/data/records.sqlite3"):
        assert client.get(f"/gradio_api/file={odd}").status_code == 403, odd


def test_uploads_are_counted_per_visitor_and_address_and_need_a_length(tmp_path):
    allowance = Allowance({"uploads": 2, "shares": 1, "bytes": 10**9})
    app, _mine, _public = _app(tmp_path, allowance=allowance)
    first, second = _with_cookie(app), _with_cookie(app)
    assert [first.post("/gradio_api/upload", content=b"x").status_code for _ in range(3)] == [200, 200, 429]
    assert allowance.over("c:nobody", "elsewhere", {"uploads": 1, "bytes": 0}) is None
    assert first.post("/gradio_api/upload", content=b"x").text == say("over.uploads")
    assert second.post("/gradio_api/upload", content=b"x").status_code == 200  # another visitor: their own count
    chunked = second.post("/gradio_api/upload", content=iter([b"x"]))  # no Content-Length
    assert chunked.status_code == 411
    (tmp_path / "full").mkdir()
    full, _, _ = _app(tmp_path / "full", min_free=2**62)
    assert TestClient(full).post("/gradio_api/upload", content=b"x").status_code == 507


def test_the_same_file_sent_again_keeps_nothing_more_and_is_not_counted(tmp_path):
    allowance = Allowance({"uploads": 2, "shares": 1, "bytes": 10**9})
    owned = tmp_path / "cache" / "background.png"  # the picture editor sends its background again and again
    owned.parent.mkdir()
    owned.write_bytes(b"bg")

    async def upload(request):
        return JSONResponse([str(owned)])

    files = Files(_records(tmp_path), lambda: {}, lambda: str(tmp_path / "cache"))
    app = Starlette(routes=[Route("/gradio_api/upload", upload, methods=["POST"])],
                    middleware=[Middleware(PrivateFiles, files=files, allowance=allowance)])
    client = _with_cookie(app)
    assert [client.post("/gradio_api/upload", content=b"bg").status_code for _ in range(20)] == [200] * 20
    assert allowance.over(key(client.cookies[COOKIE]), "testclient", {"uploads": 1, "bytes": 0}) is None  # 1 of 2


def test_an_address_that_throws_its_cookies_away_is_still_counted(tmp_path):
    allowance = Allowance({"uploads": 1, "shares": 1, "bytes": 10**9})
    app, _mine, _public = _app(tmp_path, allowance=allowance)
    answers = [_with_cookie(app).post("/gradio_api/upload", content=b"x").status_code for _ in range(6)]
    assert answers == [200] * 4 + [429] * 2  # settings.PER_ADDRESS (4) visitors' worth from one address
    assert [TestClient(app, client=("203.0.113.9", 1)).post("/gradio_api/upload", content=b"x").status_code
            for _ in range(2)] == [200, 429]  # a client that never keeps its cookie is one visitor: its address


def _sharing_app(tmp_path, records: Records | None = None, min_free: int = 0, allowance: Allowance | None = None):
    """A stand-in for Gradio's upload and deep_link routes, saving a page like Gradio's (unfiltered, each time)."""
    upload_dir = tmp_path / "gradio"
    (upload_dir / "deep_links" / "L1nk_-x").mkdir(parents=True)
    photo, painting, own, other = (upload_dir / f"{n}.png" for n in ("photo", "painting", "own", "other"))
    for path in (photo, painting, own, other):
        path.write_bytes(path.name.encode())
    state = [
        {"id": 5, "props": {"elem_id": "content", "value": {"path": str(photo), "url": "/gradio_api/file=" + str(photo)}}},
        {"id": 12, "props": {"elem_id": "style_upload", "value": {"path": str(own), "url": "x"}}},
        {"id": 35, "props": {"elem_id": "out", "value": {"path": str(painting), "url": None, "meta": {}}}},
        {"id": 40, "props": {"elem_id": "download", "value": {"path": "/elsewhere/x.png", "url": None, "meta": {}}}},
        {"id": 54, "props": {"elem_id": "out", "value": {"path": str(other), "url": "y"}}},  # a stray copy
    ]
    config = {"components": [{"id": i, "props": {}} for i in (5, 12, 35, 40)]}

    async def upload(request):
        return JSONResponse([str(p) for p in (photo, painting, own, other)])

    async def deep_link(request):
        (upload_dir / "deep_links" / "L1nk_-x" / "state.json").write_text(json.dumps(state))
        return JSONResponse("L1nk_-x")

    async def file(request):
        return PlainTextResponse("served")

    routes = [Route("/gradio_api/upload", upload, methods=["POST"]), Route("/gradio_api/deep_link", deep_link),
              Route("/gradio_api/file={p:path}", file)]
    files = Files(records or _records(tmp_path), lambda: config, lambda: str(upload_dir))
    middleware = Middleware(PrivateFiles, files=files, private_in_links=frozenset({"style_upload"}), min_free=min_free,
                            allowance=allowance)
    return Starlette(routes=routes, middleware=[middleware]), upload_dir, files, (photo, painting, own, other)


def _share(tmp_path, **kwargs):
    """The owner's page shared; (app, the clients, the files, the answer to the share)."""
    app, upload_dir, known, files = _sharing_app(tmp_path, **kwargs)
    owner, stranger = TestClient(app), TestClient(app)
    owner.get("/gradio_api/file=/nothing")
    stranger.get("/gradio_api/file=/nothing")
    owner.post("/gradio_api/upload")
    assert owner.get("/gradio_api/deep_link?session_hash=page-of-owner").status_code == 403  # no event ran on it yet
    known.bind("page-of-owner", key(owner.cookies[COOKIE]))  # as an event of the owner's page does (private_events)
    known.bind("page-of-stranger", key(stranger.cookies[COOKIE]))
    assert stranger.get("/gradio_api/deep_link?session_hash=page-of-owner").status_code == 403  # not theirs to share
    # Gradio reads the last of two values, so the check does too: two are refused.
    both = stranger.get("/gradio_api/deep_link?session_hash=page-of-stranger&session_hash=page-of-owner")
    assert both.status_code == 403 and both.text == say("not_your_page")
    return app, upload_dir, owner, stranger, files, owner.get("/gradio_api/deep_link?session_hash=page-of-owner")


def test_a_share_link_keeps_copies_of_the_painting_and_photo_only(tmp_path):
    app, upload_dir, owner, stranger, (photo, painting, own, other), answer = _share(tmp_path)
    assert answer.json() == "L1nk_-x"
    assert all(stranger.get(f"/gradio_api/file={p}").status_code == 403 for p in (photo, painting, own, other))
    cached = upload_dir / "deep_links" / "L1nk_-x"  # the page in Gradio's cache, where it takes its files as inputs
    saved = {c["id"]: c["props"].get("value") for c in json.loads((cached / "state.json").read_text())}
    assert set(saved) == {5, 12, 35, 40} and saved[12] is None and saved[40] is None  # nothing unservable left
    assert saved[35]["path"] == str(cached / "1-painting.png") and saved[35]["url"] == f"/gradio_api/file={cached}/1-painting.png"
    assert saved[5]["path"] == str(cached / "0-photo.png") and (cached / "0-photo.png").read_bytes() == b"photo.png"
    kept = tmp_path / "data" / "links" / "L1nk_-x"  # the lasting copy, by name
    assert sorted(p.name for p in kept.iterdir()) == ["0-photo.png", "1-painting.png", "state.json"]  # not the own style
    assert json.loads((kept / "state.json").read_text())[2]["props"]["value"]["path"] == "1-painting.png"
    assert stranger.get(f"/gradio_api/file={cached}/1-painting.png").text == "served"
    assert stranger.get(f"/gradio_api/file={cached}/state.json").status_code == 403  # the saved page is Gradio's to read
    assert stranger.get(f"/gradio_api/file={upload_dir}/deep_links/0ther/1-painting.png").status_code == 403


def test_sharing_the_same_page_again_serves_only_the_filtered_copy_and_keeps_its_owner(tmp_path):
    app, upload_dir, owner, stranger, (photo, painting, own, other), answer = _share(tmp_path)
    again = owner.get("/gradio_api/deep_link?session_hash=page-of-owner")  # Gradio rewrites its unfiltered copy
    assert again.json() == "L1nk_-x"
    cached = (upload_dir / "deep_links" / "L1nk_-x" / "state.json").read_text()
    assert str(own) not in cached and str(photo) not in cached and "1-painting.png" in cached
    stranger.get("/gradio_api/file=/nothing")
    # The stranger opens the link and shares the same page: the same link, which stays its owner's.
    taken = stranger.get("/gradio_api/deep_link?session_hash=page-of-stranger")
    assert taken.status_code == 403 and taken.text == say("someone_elses")
    records = Records(tmp_path / "data", keep_hours=24, share_days=30)
    assert records.owner("L1nk_-x") == key(owner.cookies[COOKIE])
    assert records.withdraw(key(stranger.cookies[COOKIE]), "page-of-stranger", "L1nk_-x") == 0
    assert str(own) not in (upload_dir / "deep_links" / "L1nk_-x" / "state.json").read_text()


def test_shares_are_counted_per_visitor(tmp_path):
    allowance = Allowance({"uploads": 10, "shares": 1, "bytes": 10**9})
    app, upload_dir, owner, stranger, files, answer = _share(tmp_path, allowance=allowance)
    assert answer.status_code == 200
    again = owner.get("/gradio_api/deep_link?session_hash=page-of-owner")
    assert again.status_code == 429 and again.text == say("over.shares")
    assert str(files[2]) not in (upload_dir / "deep_links" / "L1nk_-x" / "state.json").read_text()


def test_a_link_outlives_a_restart_and_a_cleaned_cache_until_withdrawn(tmp_path):
    app, upload_dir, owner, stranger, _files, answer = _share(tmp_path)
    records = Records(tmp_path / "data", keep_hours=24, share_days=30)
    restarted, _, _, _ = _sharing_app(tmp_path / "again", records)  # a new cache: the old one cleaned
    cached = tmp_path / "again" / "gradio" / "deep_links" / "L1nk_-x"
    shutil.rmtree(cached)
    visitor = TestClient(restarted)
    visitor.get("/?deep_link=L1nk_-x")  # Gradio's page route answers 404 here: the stand-in has none
    assert json.loads((cached / "state.json").read_text())[2]["props"]["value"]["path"] == str(cached / "1-painting.png")
    assert visitor.get(f"/gradio_api/file={cached}/1-painting.png").text == "served"
    assert records.withdraw("someone else", "page-of-owner") == 0
    assert records.withdraw(owner.cookies[COOKIE], "page-of-owner") == 0  # the cookie itself names no one
    assert records.withdraw(key(owner.cookies[COOKIE]), "page-of-owner") == 1
    assert not (tmp_path / "data" / "links" / "L1nk_-x").exists()
    ended = visitor.get("/?deep_link=L1nk_-x", headers={"accept": "text/html"})
    assert ended.status_code == 410 and "This painting is no longer shared" in ended.text and "stopped sharing" in ended.text
    assert visitor.get("/config?deep_link=L1nk_-x").text == "Its owner has stopped sharing it."
    assert visitor.get(f"/gradio_api/file={cached}/1-painting.png").status_code == 403
    unknown = visitor.get("/?deep_link=N0thing", headers={"accept": "text/html"})
    assert unknown.status_code == 404 and "This link is not known here" in unknown.text
    (tmp_path / "again" / "gradio" / "deep_links" / "Str4y").mkdir()  # in Gradio's cache, but no record names it
    (tmp_path / "again" / "gradio" / "deep_links" / "Str4y" / "state.json").write_text("[]")
    assert visitor.get("/?deep_link=Str4y").status_code == 404
    assert not (tmp_path / "again" / "gradio" / "deep_links" / "Str4y").exists()


def test_an_owner_can_stop_sharing_by_the_link_after_a_restart(tmp_path):
    app, upload_dir, owner, stranger, _files, answer = _share(tmp_path)
    records = Records(tmp_path / "data", keep_hours=24, share_days=30)  # the page's Gradio session is gone
    assert records.withdraw(key(stranger.cookies[COOKIE]), "a-new-page", "L1nk_-x") == 0
    assert records.withdraw(key(owner.cookies[COOKIE]), "a-new-page", "L1nk_-x") == 1
    assert records.link_state("L1nk_-x") == "withdrawn"


def test_an_expired_link_says_so_and_its_files_are_removed(tmp_path):
    app, upload_dir, owner, stranger, _files, answer = _share(tmp_path, records=_records(tmp_path, share_days=1e-9))
    records = Records(tmp_path / "data", keep_hours=24, share_days=1e-9)
    records.clean()
    assert not (tmp_path / "data" / "links" / "L1nk_-x").exists()
    ended = stranger.get("/?deep_link=L1nk_-x", headers={"accept": "text/html"})
    assert ended.status_code == 410 and "this one has ended" in ended.text


def test_a_full_disk_refuses_a_share_in_one_line_and_keeps_nothing_half_made(tmp_path):
    app, upload_dir, owner, stranger, files, answer = _share(tmp_path, min_free=2**62)
    assert answer.status_code == 507 and answer.text == say("sharing_full")
    assert list((tmp_path / "data" / "links").iterdir()) == []
    assert all(stranger.get(f"/gradio_api/file={p}").status_code == 403 for p in files)


def test_an_unreadable_database_is_begun_anew_with_a_warning_and_the_links_on_disk_adopted(tmp_path, caplog):
    _share(tmp_path)
    (tmp_path / "data" / "records.sqlite3").write_bytes(b"not a database" * 100)
    for suffix in ("-wal", "-shm"):
        (tmp_path / "data" / f"records.sqlite3{suffix}").unlink(missing_ok=True)
    records = Records(tmp_path / "data", keep_hours=24, share_days=30)
    assert "could not be read" in caplog.text
    assert records.owners(str(tmp_path / "gradio" / "photo.png")) == set()  # uploads from before: no one's
    records.clean()
    assert records.link_state("L1nk_-x") == "live"  # adopted from its folder
    assert records.link_state("nothing") is None


def test_records_that_named_visitors_by_their_cookie_are_upgraded_to_its_hash(tmp_path):
    folder = tmp_path / "data"
    folder.mkdir()
    old = sqlite3.connect(folder / "records.sqlite3")  # as written before the records kept only hashes
    old.executescript("""CREATE TABLE owners (path TEXT NOT NULL, session TEXT NOT NULL, made REAL NOT NULL,
                                           PRIMARY KEY (path, session)) WITHOUT ROWID;
                         CREATE TABLE links (link TEXT PRIMARY KEY, session TEXT, page TEXT, made REAL NOT NULL,
                                             expires REAL NOT NULL, withdrawn REAL);""")
    now = __import__("time").time()
    old.executemany("INSERT INTO owners VALUES (?, ?, ?)", [("/c/a.png", "tok3n", now), ("/c/b.png", "", now)])
    old.execute("INSERT INTO links VALUES ('L', 'tok3n', 'page', ?, ?, NULL)", (now, now + 99))
    old.commit()
    old.close()
    records = _records(tmp_path)
    assert records.owners("/c/a.png") == {key("tok3n")}
    assert records.owners("/c/b.png") == set()  # a cookieless client's, once whoever had its URL: no one's now
    assert records.owner("L") == key("tok3n") and records.withdraw(key("tok3n"), "page") == 1
    assert _records(tmp_path).owners("/c/a.png") == {key("tok3n")}  # upgraded once


def test_a_visitor_with_several_requests_waiting_gets_no_more_in_the_queue(tmp_path):
    waiting = {"now": (0, 0)}

    async def join(request):
        return JSONResponse({"event_id": "e"})

    routes = [Route("/gradio_api/queue/join", join, methods=["POST"]), Route("/gradio_api/call/stylize", join, methods=["POST"])]
    config = {"dependencies": [{"api_name": "stylize", "api_visibility": "public"}]}
    files = Files(_records(tmp_path), lambda: config, lambda: str(tmp_path))
    app = Starlette(routes=routes, middleware=[Middleware(PrivateFiles, files=files,
                                                          waiting=lambda visitor, address: waiting["now"])])
    client = TestClient(app)
    assert client.post("/gradio_api/queue/join", json={}).status_code == 200
    waiting["now"] = (4, 4)  # four of theirs wait already
    for route in ("/gradio_api/queue/join", "/gradio_api/call/stylize"):
        assert client.post(route, json={}).status_code == 429
    waiting["now"] = (1, 16)  # their address: settings.PER_ADDRESS (4) visitors' worth
    assert client.post("/gradio_api/queue/join", json={}).status_code == 429
    waiting["now"] = (1, 15)
    assert client.post("/gradio_api/queue/join", json={}).status_code == 200
