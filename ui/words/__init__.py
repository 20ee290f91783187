"""What the page says, in its visitor's language: one file per language (``en.py``, ``ko.py``), one
place that picks.

The page's fixed words go to Gradio as ``gr.I18n`` keys (``fixed``): the browser shows them in its
language, or in the one chosen in Gradio's Settings. What a handler writes (a status, a plan, a refusal,
a toast) is said here (``say``) in the language of the visitor whose request it answers: the page keeps
it in a cookie (``LANG_COOKIE``, set by ``HEAD`` from the page's language as Gradio sets it), read where
Gradio hands a request to our code (``use``, in ui/private_events.py). A client without that cookie (the
API, ``gradio_client``) is answered in English: its language is its code's.
"""

from __future__ import annotations

import contextlib
import contextvars
import hashlib
import json
import re
import string
from http.cookies import CookieError, SimpleCookie
from types import ModuleType

import gradio as gr
from gradio.i18n import I18nData

from . import en, ko

LANGUAGES: dict[str, ModuleType] = {"en": en, "ko": ko}
DEFAULT = "en"
LANG_COOKIE = "deepstyle_lang"
_language: contextvars.ContextVar[str] = contextvars.ContextVar("deepstyle_language", default=DEFAULT)
# The page's language into the cookie the server reads, now and whenever it changes (Gradio's Settings sets
# <html lang> as it switches): read before any event is sent, as the browser's own language until Gradio sets it.
HEAD = """<script>
(() => {
  const keep = () => {
    const lang = document.documentElement.getAttribute("lang") || navigator.language || "en";
    document.cookie = `%s=${encodeURIComponent(lang)}; path=/; max-age=31536000; SameSite=Lax`;
  };
  document.documentElement.setAttribute("lang", navigator.language || "en");
  keep();
  new MutationObserver(keep).observe(document.documentElement, {attributes: true, attributeFilter: ["lang"]});
})();
</script>""" % LANG_COOKIE


def pick(tag: str | None) -> str:
    """The language of ``tag`` (a BCP 47 tag, "ko-KR") that the page speaks, or English."""
    primary = (tag or "").strip().split("-")[0].split("_")[0].lower()
    return primary if primary in LANGUAGES else DEFAULT


def from_cookie(header: str | None) -> str | None:
    """The page's language in a ``Cookie`` header, or None where the page set none (an API client)."""
    with contextlib.suppress(CookieError):
        morsel = SimpleCookie(header or "").get(LANG_COOKIE)
        if morsel and morsel.value:
            return pick(morsel.value)
    return None


def from_browser(cookie: str | None, accept_language: str | None) -> str:
    """A browser's language for a page the server writes itself (a link's that has ended): the page's
    cookie, else the first of Accept-Language that the page speaks."""
    if (chosen := from_cookie(cookie)) is not None:
        return chosen
    tags = [part.split(";")[0].strip() for part in (accept_language or "").split(",")]
    return next((pick(tag) for tag in tags if tag.split("-")[0].lower() in LANGUAGES), DEFAULT)


@contextlib.contextmanager
def use(language: str):
    """Say everything within in ``language``."""
    token = _language.set(pick(language))
    try:
        yield
    finally:
        _language.reset(token)


def current() -> str:
    return _language.get()


class Said(str):
    """Words said in the current language that remember what they said (``key``, ``values``): a line a shared
    link's page keeps is said again in its stranger's language (``dump``, ``again``)."""

    key: str
    values: dict

    def __new__(cls, key: str, values: dict):
        if key == DURATION:
            text = LANGUAGES[current()].duration(values["seconds"])
        else:
            words = LANGUAGES[current()].WORDS
            text = (words.get(key) or en.WORDS[key]).format(**values)
        said = super().__new__(cls, text)
        said.key, said.values = key, values
        return said

    def __reduce__(self):  # a copy says what this said, not again in the language of wherever it is copied
        return _said, (str(self), self.key, self.values)

    def dump(self) -> dict:
        return {"said": self.key, "values": {k: v.dump() if isinstance(v, Said) else v for k, v in self.values.items()}}


DURATION = "@duration"


def _said(text: str, key: str, values: dict) -> Said:
    said = str.__new__(Said, text)
    said.key, said.values = key, values
    return said


def again(dumped) -> Said | None:
    """What ``Said.dump`` kept, said in the current language (None where it is not such a record)."""
    if not isinstance(dumped, dict) or not isinstance(dumped.get("values"), dict):
        return None
    key = dumped.get("said")
    if key != DURATION and key not in en.WORDS:
        return None
    values = {k: again(v) if isinstance(v, dict) else v for k, v in dumped["values"].items()}
    try:
        return Said(key, values)
    except (KeyError, IndexError, ValueError, TypeError):
        return None


def say(key: str, **values) -> Said:
    """``key``'s words in the current language (English where the language lacks them), filled in."""
    return Said(key, values)


def duration(seconds: float) -> Said:
    """A time, as the current language reads it."""
    return Said(DURATION, {"seconds": seconds})


def title(preset_id: str) -> str:
    """A painting's title as the current language's readers know it (the manifest's own for others)."""
    return _known(preset_id, "TITLES", "title")


def artist(preset_id: str) -> str:
    return _known(preset_id, "ARTISTS", "artist")


def _known(preset_id: str, table: str, field: str) -> str:
    from style_core import presets

    return getattr(LANGUAGES[current()], table).get(preset_id) or getattr(presets.get(preset_id), field)


def engine(message: str) -> str:
    """What the engine (style_core, which speaks English) said, in the current language: its first pattern that
    matches the whole message, filled in with what the message holds; as it came where none does."""
    for pattern, words in LANGUAGES[current()].ENGINE:
        if found := re.fullmatch(pattern, message, flags=re.DOTALL):
            return words.format(**found.groupdict())
    return message


# The page's fixed words: every language's, under one key each, for gr.I18n (``fixed`` fills it as the page is built).
_FIXED: dict[str, dict[str, str]] = {language: dict(getattr(module, "GRADIO", {})) for language, module in LANGUAGES.items()}
_SEALED = False


def word(key: str) -> str:
    """``key``'s words (none filled in) as the browser shows them, in its own language: what a page keeps
    (a button, a placeholder) then reads in each visitor's language, a shared link's stranger's too."""
    assert not _fields(en.WORDS[key]), key
    return str(I18nData(key))


def _fields(template: str) -> set[str]:
    return {name for _, name, _, _ in string.Formatter().parse(template) if name}


for _name, _module in LANGUAGES.items():  # every word with nothing to fill in, for word()
    _FIXED[_name].update({key: _module.WORDS.get(key, en.WORDS[key]) for key in en.WORDS if not _fields(en.WORDS[key])})


def fixed(key, *args, **values) -> I18nData:
    """Words on the page as it is built, in whichever language the browser shows (gr.I18n): ``key``'s filled in
    with ``values`` (a server's limit), or what the function ``key`` says of ``args`` (a title, a time)."""
    if _SEALED:  # Gradio took the page's words at launch: a word made later would show as its key
        raise RuntimeError(f"fixed({key!r}) after the page was launched: say() it instead")
    said = key if isinstance(key, str) else key.__name__
    # A key the browser's reader takes whole: letters, digits, dots (no braces: it reads up to the first "}").
    filled = json.dumps([args, values], sort_keys=True, default=str)
    name = said if not (args or values) else f"{said}.{hashlib.sha256(filled.encode()).hexdigest()[:12]}"
    for language in LANGUAGES:
        with use(language):
            _FIXED[language][name] = str(say(key, **values) if isinstance(key, str) else key(*args))
    return gr.I18n()(name)


def i18n() -> gr.I18n:
    """The page's fixed words for Gradio (``launch(i18n=...)``), once the page is built."""
    global _SEALED
    _SEALED = True
    return gr.I18n(**_FIXED)


def browser_words(*keys: str) -> str:
    """``keys``' words in every language as JSON, for a script on the page (it picks by <html lang>)."""
    table = {}
    for language in LANGUAGES:
        with use(language):
            table[language] = {key: say(key) for key in keys}
    return json.dumps(table, ensure_ascii=False)


def in_english(value):
    """``value`` (the API's listing) with the page's fixed words (gr.I18n keys, in the text or as Gradio's own
    objects) in English."""
    if isinstance(value, I18nData):
        return _FIXED[DEFAULT].get(value.key, value.key)
    if isinstance(value, dict):
        return {k: in_english(v) for k, v in value.items()}
    if isinstance(value, list):
        return [in_english(v) for v in value]
    if isinstance(value, str) and "__i18n__" in value:
        return re.sub(r'__i18n__\{[^{}]*"key": "([^"]*)"[^{}]*\}', lambda m: _FIXED[DEFAULT].get(m[1], m[1]), value)
    return value
