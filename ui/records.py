"""The visitors' records, kept across restarts in SQLite (the standard library's, WAL mode): which
visitors own each cached file, the links published, and the files each link keeps.

A visitor is named as ``ui/visitors.py`` names them: a session cookie only by its hash, so the
database opens no one's files. It lives in the data folder, which Gradio never serves or copies
(app.py blocks it), so nothing in the app opens and closes the file: a close by anyone in the process
would drop SQLite's locks under its one connection. That connection is opened once and shared by
Gradio's threads and the middleware under a lock: every statement is a few microseconds, and WAL lets
a reader (``sqlite3`` at a prompt) look in meanwhile. A database file that cannot be read is moved
aside and a new one begun, with a warning: the files it named are then owned by no one (refused to
everyone), and the links still on disk are adopted again from their folders, each kept for its full
time from when it was made, with no owner (none can withdraw them from the page).
"""

from __future__ import annotations

import contextlib
import logging
import os
import shutil
import sqlite3
import threading
import time
from pathlib import Path

log = logging.getLogger("deepstyle")

SCHEMA = """
CREATE TABLE IF NOT EXISTS owners (path TEXT NOT NULL, session TEXT NOT NULL, made REAL NOT NULL,
                                   PRIMARY KEY (path, session)) WITHOUT ROWID;
CREATE INDEX IF NOT EXISTS owners_made ON owners (made);
CREATE TABLE IF NOT EXISTS links (link TEXT PRIMARY KEY, session TEXT, page TEXT, made REAL NOT NULL,
                                  expires REAL NOT NULL, withdrawn REAL);
"""
WITHDRAWN, EXPIRED, LIVE = "withdrawn", "expired", "live"
VERSION = 1  # PRAGMA user_version: 1, visitors by ui/visitors.py's key (0 named them by their cookie)


_opened: Records | None = None


def open_records(folder: str | Path, keep_hours: float, share_days: float) -> Records:
    """The server's records, opened once, cleaned now and hourly; the data folder's size logged."""
    global _opened
    _opened = Records(folder, keep_hours, share_days)
    _opened.keep_clean()
    size, live = _opened.size()
    log.info("records: %s holds %.1f MB, %d shared link%s live", _opened.folder, size / 2**20, live, "" if live == 1 else "s")
    return _opened


def opened() -> Records:
    if _opened is None:
        raise RuntimeError("the records are not open (app.py opens them)")
    return _opened


def default_folder() -> Path:
    """A Space's persistent storage where it is mounted (``/data``), else the user's data folder: never the
    temp folder or the working directory, whose files Gradio copies into its cache when a function returns them."""
    if os.path.isdir("/data") and os.access("/data", os.W_OK):
        return Path("/data/deepstyle")
    return Path(os.environ.get("XDG_DATA_HOME") or Path.home() / ".local" / "share") / "deepstyle"


class Records:
    """The records in ``folder``: ``records.sqlite3``, and ``links/<link>/`` holding each shared page."""

    def __init__(self, folder: str | Path, keep_hours: float, share_days: float):
        self.folder = Path(folder)
        self.links_dir = self.folder / "links"
        self.links_dir.mkdir(parents=True, exist_ok=True)
        self.path = self.folder / "records.sqlite3"
        self.keep_s, self.share_s = keep_hours * 3600, share_days * 86400
        self.lock = threading.Lock()
        self.db = self._open()

    def _open(self) -> sqlite3.Connection:
        if not self.path.exists() and any(self.links_dir.iterdir()):
            log.warning("records: %s was missing; begun anew: the uploads it named are refused to everyone, "
                        "the links on disk are adopted again", self.path)
        try:
            return self._connect()
        except sqlite3.DatabaseError as exc:
            aside = self.path.with_name(f"{self.path.name}.unreadable-{int(time.time())}")
            for suffix in ("", "-wal", "-shm"):
                with contextlib.suppress(OSError):
                    os.replace(f"{self.path}{suffix}", f"{aside}{suffix}")
            log.warning("records: %s could not be read (%s); moved to %s and begun anew: the uploads it "
                        "named are refused to everyone, the links on disk are adopted again", self.path, exc, aside.name)
            return self._connect()

    def _connect(self) -> sqlite3.Connection:
        db = sqlite3.connect(self.path, check_same_thread=False, isolation_level=None, timeout=10)
        try:
            if db.execute("PRAGMA quick_check").fetchone()[0] != "ok":
                raise sqlite3.DatabaseError("its integrity check failed")
            db.execute("PRAGMA journal_mode=WAL")
            db.execute("PRAGMA synchronous=NORMAL")  # WAL: a power cut may lose the last moments, never the file
            db.executescript(SCHEMA)
            _upgrade(db)
        except sqlite3.DatabaseError:
            db.close()
            raise
        return db

    def _run(self, sql: str, args=()) -> list[tuple]:
        with self.lock:
            return self.db.execute(sql, args).fetchall()

    # Files and their owners.
    def claim(self, path: str, session: str) -> None:
        self._run("INSERT OR IGNORE INTO owners VALUES (?, ?, ?)", (path, session, time.time()))

    def owners(self, path: str) -> set[str]:
        return {row[0] for row in self._run("SELECT session FROM owners WHERE path = ?", (path,))}

    # Links.
    def link_folder(self, link: str) -> Path:
        return self.links_dir / link

    def add_link(self, link: str, session: str, page: str) -> bool:
        """Record a published link, or renew it: a second share of the same page by its owner (one withdrawn
        lives again). A link has one owner: False (nothing changed) where another made it."""
        made = time.time()
        with self.lock:
            changed = self.db.execute(
                "INSERT INTO links VALUES (?, ?, ?, ?, ?, NULL) ON CONFLICT (link) DO UPDATE SET made = excluded.made, "
                "expires = excluded.expires, page = excluded.page, withdrawn = NULL "
                "WHERE links.session = excluded.session", (link, session, page, made, made + self.share_s)).rowcount
        return changed == 1

    def owner(self, link: str) -> str | None:
        rows = self._run("SELECT session FROM links WHERE link = ?", (link,))
        return rows[0][0] if rows else None

    def link_state(self, link: str) -> str | None:
        """LIVE, WITHDRAWN, EXPIRED, or None for a link never recorded here."""
        rows = self._run("SELECT expires, withdrawn FROM links WHERE link = ?", (link,))
        if not rows:
            return None
        expires, withdrawn = rows[0]
        return WITHDRAWN if withdrawn is not None else EXPIRED if expires <= time.time() else LIVE

    def withdraw(self, session: str, page: str, link: str = "") -> int:
        """Withdraw the live links ``session`` made on ``page`` (a Gradio session), and ``link`` if it made it
        (a page from before a restart names its link); their files go now."""
        links = [row[0] for row in self._run(
            "SELECT link FROM links WHERE session = ? AND (page = ? OR link = ?) AND withdrawn IS NULL",
            (session, page, link))]
        for link in links:
            self._run("UPDATE links SET withdrawn = ? WHERE link = ?", (time.time(), link))
            shutil.rmtree(self.link_folder(link), ignore_errors=True)
        return len(links)

    # Upkeep.
    def clean(self) -> None:
        """Forget owners of files Gradio has deleted, remove expired links' files (their records stay a
        year, so their page says "expired"), and adopt link folders no record names (a rebuilt database)."""
        now = time.time()
        self._run("DELETE FROM owners WHERE made < ?", (now - self.keep_s - 3600,))
        for (link,) in self._run("SELECT link FROM links WHERE expires <= ? OR withdrawn IS NOT NULL", (now,)):
            shutil.rmtree(self.link_folder(link), ignore_errors=True)
        self._run("DELETE FROM links WHERE expires < ?", (now - 365 * 86400,))
        known = {row[0] for row in self._run("SELECT link FROM links")}
        for folder in self.links_dir.iterdir():
            if folder.name in known:
                continue
            state = folder / "state.json"
            if state.is_file() and state.stat().st_mtime + self.share_s > now:
                made = state.stat().st_mtime
                self._run("INSERT OR IGNORE INTO links VALUES (?, NULL, NULL, ?, ?, NULL)", (folder.name, made, made + self.share_s))
            else:
                shutil.rmtree(folder, ignore_errors=True)

    def size(self) -> tuple[int, int]:
        """Bytes in the data folder, and the live links."""
        total = sum(f.stat().st_size for f in self.folder.rglob("*") if f.is_file())
        live = self._run("SELECT COUNT(*) FROM links WHERE withdrawn IS NULL AND expires > ?", (time.time(),))[0][0]
        return total, live

    def keep_clean(self, every_s: float = 3600) -> None:
        """Clean now and then every ``every_s`` in a daemon thread."""
        def loop():
            while True:
                time.sleep(every_s)
                try:
                    self.clean()
                except Exception:  # the next round tries again; serving goes on
                    log.exception("records: cleaning failed")

        self.clean()
        threading.Thread(target=loop, name="records-cleaner", daemon=True).start()


def _upgrade(db: sqlite3.Connection) -> None:
    """Bring records written by an earlier version to this one (``VERSION``)."""
    if db.execute("PRAGMA user_version").fetchone()[0] >= VERSION:
        return
    from ui.visitors import key  # visitors imports settings, which imports this module

    db.create_function("visitor", 1, lambda token: key(token) if token else None, deterministic=True)
    db.execute("BEGIN IMMEDIATE")
    try:
        db.execute("DELETE FROM owners WHERE session = ''")  # a cookieless client's files: whoever had the URL
        db.execute("UPDATE OR IGNORE owners SET session = visitor(session)")
        db.execute("UPDATE links SET session = visitor(session)")
        db.execute(f"PRAGMA user_version = {VERSION}")
        db.execute("COMMIT")
    except BaseException:
        db.execute("ROLLBACK")
        raise
