"""The visitors' records across restarts of the real server (python app.py): privacy that fails closed,
share links kept in the data folder past the cache, ended links that say so, a database rebuilt."""

import shutil
import sqlite3
import threading
import time

import httpx
import pytest
from gradio_client import Client, handle_file

from appserver import serve
from conftest import photo, png_bytes


def _visitor(url: str) -> httpx.Client:
    client = httpx.Client(base_url=url, timeout=60)
    client.get("/")  # the page sets the session cookie
    return client


def _paint_and_share(url: str, photo_path: str) -> tuple[Client, str, str]:
    """A visitor paints their own photo through the API and shares the page: (client, painting path, link)."""
    client = Client(url, verbose=False, download_files=False)
    picture, status = client.predict(handle_file(photo_path), "the-scream", None, 64, 2, api_name="/stylize")
    assert status.startswith("Done"), status
    answer = httpx.get(f"{url}gradio_api/deep_link", params={"session_hash": client.session_hash}, cookies=client.cookies)
    assert answer.status_code == 200 and answer.json(), answer.text
    return client, picture["path"], answer.json()


def _opened(url: str, link: str) -> dict:
    """A stranger's view of the link's page: by elem_id, each component's value; its photo served from the
    link's copy. (An API run leaves the painting out of Gradio's saved page: the page's own share, with the
    painting and its download, is test_browser's.)"""
    stranger = _visitor(url)
    page = stranger.get("/", params={"deep_link": link}, headers={"accept": "text/html"})
    assert page.status_code == 200
    config = stranger.get("/config", params={"deep_link": link}).json()
    values = {c["props"].get("elem_id"): c["props"].get("value") for c in config["components"] if "value" in c["props"]}
    assert f"/deep_links/{link}/" in values["content"]["path"], values["content"]
    assert stranger.get(f"/gradio_api/file={values['content']['path']}").status_code == 200
    assert values["status"].startswith("Done"), values["status"]
    return values


def _ended(url: str, link: str) -> str:
    answer = _visitor(url).get("/", params={"deep_link": link}, headers={"accept": "text/html"})
    assert answer.status_code == 410
    return answer.text


@pytest.fixture
def photos(tmp_path) -> list[str]:
    """Two visitors' photos (not the example photo: that one is the page's own, public)."""
    paths = [tmp_path / f"photo-{seed}.png" for seed in (21, 22)]
    for seed, path in zip((21, 22), paths):
        photo(96, 72, seed=seed).save(path)
    return [str(p) for p in paths]


def test_privacy_and_links_outlive_restarts_and_a_cleaned_cache(tmp_path, photos):
    data = png_bytes(photo(64, 48, seed=31))
    with serve(tmp_path) as app:
        owner = _visitor(app.url)
        [upload] = owner.post("/gradio_api/upload", files={"files": ("mine.png", data, "image/png")}).json()
        shared = {}  # two visitors share at once
        threads = [threading.Thread(target=lambda p=p: shared.setdefault(p, _paint_and_share(app.url, p))) for p in photos]
        for thread in threads:
            thread.start()
        for thread in threads:
            thread.join()
        (first, painting, link), (_second, _, other_link) = shared[photos[0]], shared[photos[1]]
        assert link != other_link
    with serve(tmp_path) as app:  # restarted, the cache kept
        assert owner.get(f"{app.url}gradio_api/file={upload}").content == data  # the cookie still opens its own
        assert _visitor(app.url).get(f"/gradio_api/file={upload}").status_code == 403
        assert httpx.get(f"{app.url}gradio_api/file={upload}").status_code == 403  # no cookie at all
        assert httpx.get(f"{app.url}gradio_api/file={painting}", cookies=first.cookies).status_code == 200
        assert _visitor(app.url).get(f"/gradio_api/file={painting}").status_code == 403  # the painting in the cache
        for each in (link, other_link):
            _opened(app.url, each)
    shutil.rmtree(tmp_path / "gradio")  # the cache cleaned (or a new container's temp folder)
    with serve(tmp_path) as app:
        _opened(app.url, link)
        _opened(app.url, other_link)
        assert _visitor(app.url).get(f"/gradio_api/file={upload}").status_code == 403
    with sqlite3.connect(tmp_path / "data" / "records.sqlite3") as db:  # a month passes for one of them
        db.execute("UPDATE links SET expires = ? WHERE link = ?", (time.time() - 60, other_link))
    with serve(tmp_path) as app:
        assert "this one has ended" in _ended(app.url, other_link)
        assert not (tmp_path / "data" / "links" / other_link).exists()  # removed by the server at start
        _opened(app.url, link)


def test_an_unreadable_or_missing_database_is_begun_anew_and_the_server_serves(tmp_path, photos):
    data = png_bytes(photo(64, 48, seed=32))
    with serve(tmp_path) as app:
        owner = _visitor(app.url)
        [upload] = owner.post("/gradio_api/upload", files={"files": ("mine.png", data, "image/png")}).json()
        _client, _painting, link = _paint_and_share(app.url, photos[0])
    database = tmp_path / "data" / "records.sqlite3"
    for broken in ("unreadable", "missing"):
        for suffix in ("", "-wal", "-shm"):
            database.with_name(database.name + suffix).unlink(missing_ok=True)
        if broken == "unreadable":
            database.write_bytes(b"this is not a database " * 200)
        with serve(tmp_path) as app:
            log = next(tmp_path.glob(f"app-{app.url.rsplit(':', 1)[1].strip('/')}.log")).read_text()
            assert "records:" in log and ("could not be read" if broken == "unreadable" else "was missing") in log, log[-2000:]
            # Uploads from before are no one's now: refused, even to their owner.
            assert owner.get(f"{app.url}gradio_api/file={upload}").status_code == 403
            _opened(app.url, link)  # adopted again from its folder
            client = Client(app.url, verbose=False, download_files=False)
            _picture, status = client.predict(handle_file(photos[1]), "starry-night", None, 64, 2, api_name="/stylize")
            assert status.startswith("Done")
