"""The languages a person reads the hub in: gettext catalogs kept with Babel
(hub/locales/{language}/LC_MESSAGES/messages.po, extracted from the pages' templates, the
browser's script and hub/ by `make messages`), compiled when first used, and the language
of the moment, which the pages set for each request (hub/web/pages/language.py). English
is the source language: its text is the message id. The browser's script reads the same
catalog, as JSON (``browser_catalog``). Notices have their own templates per language
(templates/notices/)."""

from __future__ import annotations

import functools
import io
from collections.abc import Iterator
from contextlib import contextmanager
from contextvars import ContextVar
from gettext import GNUTranslations, NullTranslations
from importlib.resources import files

LANGUAGES = ("en", "es")
SOURCE = "en"


@functools.cache
def translations(language: str) -> NullTranslations:
    """The compiled catalog of ``language`` (English, the source, translates nothing)."""
    if language == SOURCE or language not in LANGUAGES:
        return NullTranslations()
    from babel.messages.mofile import write_mo  # the pages' only: the CLI starts without

    mo = io.BytesIO()
    write_mo(mo, _catalog(language))
    mo.seek(0)
    return GNUTranslations(mo)


def _catalog(language: str):
    from babel.messages.pofile import read_po  # (Babel's catalog: ~0.2 s to import)

    path = files("hub") / "locales" / language / "LC_MESSAGES" / "messages.po"
    with path.open("rb") as po:
        return read_po(po, locale=language)


_speaking: ContextVar[str] = ContextVar("speaking", default=SOURCE)


@contextmanager
def speaking(language: str) -> Iterator[None]:
    """Words asked for inside come in ``language``."""
    token = _speaking.set(language if language in LANGUAGES else SOURCE)
    try:
        yield
    finally:
        _speaking.reset(token)


def current() -> str:
    return _speaking.get()


def gettext(message: str) -> str:
    return translations(current()).gettext(message)


def ngettext(singular: str, plural: str, n: int) -> str:
    return translations(current()).ngettext(singular, plural, n)


def N_(message: str) -> str:
    """Marks ``message`` for the catalog where it is defined; it is translated where it
    is shown (gettext)."""
    return message


@functools.cache
def browser_catalog(language: str) -> dict[str, str | list[str]]:
    """The catalog as the browser's script reads it: each translated message id to its
    text (a list of forms for a plural, keyed by the singular)."""
    if language == SOURCE or language not in LANGUAGES:
        return {}
    out: dict[str, str | list[str]] = {}
    for m in _catalog(language):
        if not m.id or not m.string or m.fuzzy:
            continue
        if isinstance(m.id, tuple):
            out[m.id[0]] = list(m.string)
        else:
            out[m.id] = m.string
    return out


def negotiate(accept_language: str) -> str | None:
    """The first of our languages an Accept-Language header asks for ('es-MX,es;q=0.9'
    asks for Spanish), by its q-values; None when it asks for none of them."""
    wanted: list[tuple[float, int, str]] = []
    for i, part in enumerate(accept_language.split(",")):
        tag, _, params = part.strip().partition(";")
        q = 1.0
        if params.strip().startswith("q="):
            try:
                q = float(params.strip()[2:])
            except ValueError:
                q = 0.0
        base = tag.strip().lower().split("-")[0]
        if base in LANGUAGES and q > 0:
            wanted.append((-q, i, base))
    return min(wanted)[2] if wanted else None
