"""private_files.PrivateFiles on a stand-in app: cookies, ownership, public files."""

import json
import shutil

from starlette.applications import Starlette
from starlette.middleware import Middleware
from starlette.responses import JSONResponse, PlainTextResponse
from starlette.routing import Route
from starlette.testclient import TestClient

from ui.private_files import COOKIE, FULL, PrivateFiles, _event_paths
from ui.records import Records


def _records(tmp_path, share_days: float = 30) -> Records:
    return Records(tmp_path / "data", keep_hours=24, share_days=share_days)


def _app(tmp_path, records: Records | None = None):
    mine, public = tmp_path / "mine.png", tmp_path / "gallery.png"
    mine.write_bytes(b"mine")
    public.write_bytes(b"gallery")

    async def upload(request):
        return JSONResponse([str(mine), str(public)])

    async def file(request):
        return PlainTextResponse("served")

    routes = [Route("/gradio_api/upload", upload, methods=["POST"]), Route("/gradio_api/file={p:path}", file)]
    config = {"components": [{"props": {"value": {"path": str(public), "url": "x"}}}]}
    records = records or _records(tmp_path)
    app = Starlette(routes=routes, middleware=[Middleware(PrivateFiles, public_config=lambda: config, records=records)])
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
    TestClient(restarted).post("/gradio_api/upload")  # sent with no cookie: Gradio's own rule, the URL is the key
    assert other.get(f"/gradio_api/file={mine}").status_code == 200


def _sharing_app(tmp_path, records: Records | None = None, min_free: int = 0):
    """A stand-in for Gradio's upload, queue/join and deep_link routes, saving a page like Gradio's."""
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

    async def join(request):
        return JSONResponse({"event_id": "e"})

    async def deep_link(request):
        (upload_dir / "deep_links" / "L1nk_-x" / "state.json").write_text(json.dumps(state))
        return JSONResponse("L1nk_-x")

    async def file(request):
        return PlainTextResponse("served")

    routes = [Route("/gradio_api/upload", upload, methods=["POST"]), Route("/gradio_api/queue/join", join, methods=["POST"]),
              Route("/gradio_api/deep_link", deep_link), Route("/gradio_api/file={p:path}", file)]
    records = records or _records(tmp_path)
    middleware = Middleware(PrivateFiles, public_config=lambda: config, records=records, upload_dir=lambda: str(upload_dir),
                            private_in_links=frozenset({"style_upload"}), min_free=min_free)
    return Starlette(routes=routes, middleware=[middleware]), upload_dir, (photo, painting, own, other)


def _share(tmp_path, **kwargs):
    """The owner's page shared; (app, the clients, the files, the answer to the share)."""
    app, upload_dir, files = _sharing_app(tmp_path, **kwargs)
    owner, stranger = TestClient(app), TestClient(app)
    owner.get("/gradio_api/file=/nothing")
    stranger.get("/gradio_api/file=/nothing")
    owner.post("/gradio_api/upload")
    owner.post("/gradio_api/queue/join", json={"session_hash": "page-of-owner", "data": []})
    assert stranger.get("/gradio_api/deep_link?session_hash=page-of-owner").status_code == 403  # not theirs to share
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
    assert stranger.get(f"/gradio_api/file={upload_dir}/deep_links/0ther/1-painting.png").status_code == 403


def test_a_link_outlives_a_restart_and_a_cleaned_cache_until_withdrawn(tmp_path):
    app, upload_dir, owner, stranger, _files, answer = _share(tmp_path)
    records = Records(tmp_path / "data", keep_hours=24, share_days=30)
    restarted, _, _ = _sharing_app(tmp_path / "again", records)  # a new cache: the old one cleaned
    cached = tmp_path / "again" / "gradio" / "deep_links" / "L1nk_-x"
    shutil.rmtree(cached)
    visitor = TestClient(restarted)
    visitor.get("/?deep_link=L1nk_-x")  # Gradio's page route answers 404 here: the stand-in has none
    assert json.loads((cached / "state.json").read_text())[2]["props"]["value"]["path"] == str(cached / "1-painting.png")
    assert visitor.get(f"/gradio_api/file={cached}/1-painting.png").text == "served"
    assert records.withdraw("someone else", "page-of-owner") == 0
    assert records.withdraw(owner.cookies[COOKIE], "page-of-owner") == 1
    assert not (tmp_path / "data" / "links" / "L1nk_-x").exists()
    ended = visitor.get("/?deep_link=L1nk_-x", headers={"accept": "text/html"})
    assert ended.status_code == 410 and "This painting is no longer shared" in ended.text and "stopped sharing" in ended.text
    assert visitor.get("/config?deep_link=L1nk_-x").text == "Its owner has stopped sharing it."
    assert visitor.get(f"/gradio_api/file={cached}/1-painting.png").status_code == 403
    unknown = visitor.get("/?deep_link=N0thing", headers={"accept": "text/html"})
    assert unknown.status_code == 404 and "This link is not known here" in unknown.text


def test_an_expired_link_says_so_and_its_files_are_removed(tmp_path):
    app, upload_dir, owner, stranger, _files, answer = _share(tmp_path, records=_records(tmp_path, share_days=1e-9))
    records = Records(tmp_path / "data", keep_hours=24, share_days=1e-9)
    records.clean()
    assert not (tmp_path / "data" / "links" / "L1nk_-x").exists()
    ended = stranger.get("/?deep_link=L1nk_-x", headers={"accept": "text/html"})
    assert ended.status_code == 410 and "this one has ended" in ended.text


def test_a_full_disk_refuses_a_share_in_one_line_and_keeps_nothing_half_made(tmp_path):
    app, upload_dir, owner, stranger, files, answer = _share(tmp_path, min_free=2**62)
    assert answer.status_code == 507 and answer.text == FULL
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




def test_a_streamed_output_is_its_sessions_too():
    """Gradio streams each preview as a diff of the last output: the path is in an "add" or "replace" op."""
    line = json.dumps({"msg": "process_generating", "output": {"data": [[["delete", ["__type__"], None],
                      ["add", ["path"], "/cache/a/image.png"], ["add", ["url"], "u"]], [["replace", [], "Painting…"]],
                      [["replace", [0, "image", "path"], "/cache/b/image.png"]]]}})
    assert _event_paths(b"data: " + line.encode()) == ["/cache/a/image.png", "/cache/b/image.png"]


def test_an_unqueued_events_files_are_its_sessions_and_its_inputs_checked(tmp_path):
    """queue=False events (a photo checked as it arrives) answer /run/predict at once, with their files."""
    made = tmp_path / "made.png"
    made.write_bytes(b"made")

    async def run(request):
        return JSONResponse({"data": [{"background": {"path": str(made), "url": "u", "meta": {"_type": "gradio.FileData"}}}]})

    async def file(request):
        return PlainTextResponse("served")

    routes = [Route("/gradio_api/run/predict", run, methods=["POST"]), Route("/gradio_api/file={p:path}", file)]
    app = Starlette(routes=routes, middleware=[Middleware(PrivateFiles, public_config=lambda: {}, records=_records(tmp_path))])
    owner, other = TestClient(app), TestClient(app)
    owner.get("/gradio_api/file=/nothing"), other.get("/gradio_api/file=/nothing")
    owner.post("/gradio_api/run/predict", json={"data": [], "fn_index": 7, "session_hash": "s"})
    assert owner.get(f"/gradio_api/file={made}").text == "served" and other.get(f"/gradio_api/file={made}").status_code == 403
    named = {"data": [{"path": str(made), "meta": {"_type": "gradio.FileData"}}], "fn_index": 7, "session_hash": "t"}
    assert other.post("/gradio_api/run/predict", json=named).status_code == 403
