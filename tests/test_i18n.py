"""Languages: every user-visible string of the source has a Russian translation that keeps
its placeholders, pages are in Russian by default, and a visitor who chooses English gets
English from then on (the choice lives in the `vektor_lang` cookie)."""

from __future__ import annotations

import os
import re
from pathlib import Path

import pytest
from babel.messages.extract import DEFAULT_KEYWORDS, extract_from_dir
from babel.messages.mofile import read_mo
from babel.messages.pofile import read_po
from flask import Flask
from flask.testing import FlaskClient
from sqlalchemy.orm import Session

from portal.i18n import LANGUAGE_COOKIE

try:  # Babel >= 2.14
    from babel.messages.frontend import parse_mapping_cfg as _parse_mapping
except ImportError:  # pragma: no cover - older Babel
    from babel.messages.frontend import parse_mapping as _parse_mapping

ROOT = Path(__file__).resolve().parent.parent
BABEL_CFG = ROOT / "babel.cfg"
CATALOGUE_DIR = ROOT / "portal" / "translations" / "ru" / "LC_MESSAGES"
RU_PO = CATALOGUE_DIR / "messages.po"
RU_MO = CATALOGUE_DIR / "messages.mo"
# The same keywords as `make extract-messages`: Babel's defaults plus the lazy forms.
KEYWORDS = {**DEFAULT_KEYWORDS, "_l": None, "lazy_gettext": None}
# printf-style conversions, with or without a name: %(n)d, %(email)s, %s, %5.2f (not %%).
PLACEHOLDER = re.compile(r"%(?:\(\w+\))?[#0 +\-]*\d*(?:\.\d+)?[diouxXeEfFgGcrsa]")

UPDATE_HINT = (
    "Run `make extract-messages`, translate the new entries in "
    "portal/translations/ru/LC_MESSAGES/messages.po and remove their `fuzzy` flags."
)


def _keep_directory(dirpath: str) -> bool:
    """Skip hidden directories (.venv, .git) and caches, but not `_`-prefixed ones such as
    templates/_macros: pybabel's default ignore list drops those silently."""
    name = os.path.basename(dirpath)
    return not (name.startswith(".") or name == "__pycache__" or name == "node_modules")


def extract_source_messages() -> dict[tuple[str | None, str], tuple[str | tuple[str, ...], str]]:
    """(context, msgid) -> (the message as extracted, the first place it occurs), read from
    the source right now with the mapping of babel.cfg."""
    with BABEL_CFG.open(encoding="utf-8") as fileobj:
        method_map, options_map = _parse_mapping(fileobj, filename=str(BABEL_CFG))
    found: dict[tuple[str | None, str], tuple[str | tuple[str, ...], str]] = {}
    for filename, lineno, message, _comments, context in extract_from_dir(
        str(ROOT),
        method_map,
        options_map,
        keywords=KEYWORDS,
        directory_filter=_keep_directory,
        strip_comment_tags=True,
    ):
        msgid = message[0] if isinstance(message, (list, tuple)) else message
        if not msgid:
            continue
        found.setdefault((context, msgid), (message, f"{filename}:{lineno}"))
    return found


def placeholders(text: str) -> set[str]:
    return set(PLACEHOLDER.findall(text.replace("%%", "")))


@pytest.fixture(scope="module")
def ru_catalogue():
    with RU_PO.open("rb") as fileobj:
        return read_po(fileobj, locale="ru")


def test_source_strings_are_extracted():
    """A guard for the test below: the extraction finds strings in Python and templates."""
    found = extract_source_messages()
    assert len(found) > 100
    assert (None, "Sign in") in found  # templates
    assert (None, "Page not found") in found  # portal/views/errors.py, through _l
    assert (None, "Please correct the following") in found  # templates/_macros


def test_every_source_string_has_a_russian_translation(ru_catalogue):
    problems: list[str] = []
    for (context, msgid), (message, where) in sorted(
        extract_source_messages().items(), key=lambda item: (item[0][1], item[0][0] or "")
    ):
        label = f"{msgid!r}" + (f" (context {context!r})" if context else "") + f"  [{where}]"
        entry = ru_catalogue.get(msgid, context=context)
        if entry is None:
            problems.append(f"missing: {label}")
            continue
        if entry.fuzzy:
            problems.append(f"fuzzy: {label}")
        is_plural = isinstance(message, (list, tuple)) and len(message) > 1
        if is_plural:
            forms = entry.string if isinstance(entry.string, (list, tuple)) else (entry.string,)
            if len(forms) != ru_catalogue.num_plurals or not all(forms):
                problems.append(
                    f"needs {ru_catalogue.num_plurals} non-empty plural forms: {label}"
                )
        elif not entry.string or isinstance(entry.string, (list, tuple)):
            problems.append(f"not translated: {label}")
    assert not problems, (
        f"{len(problems)} message(s) of the source lack a usable Russian translation:\n  "
        + "\n  ".join(problems)
        + f"\n{UPDATE_HINT}\n(Strings under templates/_macros vanish from the catalogue when "
        "pybabel extract runs without `--ignore-dirs`: its default skips `_*` directories.)"
    )


def test_translations_keep_the_placeholders(ru_catalogue):
    problems: list[str] = []
    for entry in ru_catalogue:
        if not entry.id or not entry.string:
            continue
        if isinstance(entry.id, (list, tuple)):
            wanted = placeholders(entry.id[-1]) | placeholders(entry.id[0])
            forms = entry.string if isinstance(entry.string, (list, tuple)) else (entry.string,)
        else:
            wanted = placeholders(entry.id)
            forms = (entry.string,)
        for form in forms:
            if form and placeholders(form) != wanted:
                problems.append(
                    f"{entry.id!r}: expected {sorted(wanted)}, "
                    f"translation {form!r} has {sorted(placeholders(form))}"
                )
    assert not problems, "Translations whose placeholders differ:\n  " + "\n  ".join(problems)


def test_compiled_catalogue_matches_the_po_file(ru_catalogue):
    """The portal reads messages.mo; a missing or stale one shows English to everyone."""
    hint = "Compile the catalogue: `make translations` (or .venv/bin/pybabel compile -d " \
        "portal/translations)."
    assert RU_MO.exists(), f"{RU_MO} does not exist. {hint}"
    with RU_MO.open("rb") as fileobj:
        compiled = read_mo(fileobj)
    stale = [
        entry.id
        for entry in ru_catalogue
        if entry.id and entry.string and not entry.fuzzy
        and (compiled.get(entry.id, context=entry.context) is None
             or _as_tuple(compiled.get(entry.id, context=entry.context).string)
             != _as_tuple(entry.string))
    ]
    assert not stale, f"messages.mo is older than messages.po ({len(stale)} differ). {hint}"


def _as_tuple(value):
    """Plural translations come back as a list from the .mo and a tuple from the .po."""
    return tuple(value) if isinstance(value, list | tuple) else (value,)


# The pages themselves. The `client` fixture may carry a language cookie, so these tests
# make a client of their own: a first-time visitor with no language chosen.


@pytest.fixture
def visitor(app: Flask, db: Session) -> FlaskClient:
    return app.test_client()


def choose_language(client: FlaskClient, lang: str, next_path: str) -> None:
    response = client.post("/language", data={"lang": lang, "next": next_path})
    assert response.status_code in (302, 303)
    assert response.headers["Location"].endswith(next_path)
    cookie = client.get_cookie(LANGUAGE_COOKIE)
    assert cookie is not None and cookie.value == lang


def test_sign_in_page_is_in_russian_by_default_and_in_english_on_request(visitor):
    response = visitor.get("/login")
    assert response.status_code == 200
    html = response.get_data(as_text=True)
    assert '<html lang="ru">' in html
    assert "Войти" in html
    assert "Вход в «Вектор»" in html
    assert "Забыли пароль?" in html
    assert "Sign in to Vektor" not in html
    assert "Forgot your password?" not in html

    choose_language(visitor, "en", "/login")

    for _ in range(2):  # the page after the switch, and a later visit: the cookie stays
        response = visitor.get("/login")
        assert response.status_code == 200
        html = response.get_data(as_text=True)
        assert '<html lang="en">' in html
        assert "Sign in to Vektor" in html
        assert "Forgot your password?" in html
        assert "Войти" not in html
        assert "Забыли пароль?" not in html

    choose_language(visitor, "ru", "/login")
    html = visitor.get("/login").get_data(as_text=True)
    assert '<html lang="ru">' in html
    assert "Вход в «Вектор»" in html


def test_unknown_language_is_refused(visitor):
    response = visitor.post("/language", data={"lang": "xx", "next": "/login"})
    assert response.status_code == 400
    assert visitor.get_cookie(LANGUAGE_COOKIE) is None


def test_not_found_page_is_in_russian_by_default_and_in_english_on_request(visitor):
    response = visitor.get("/no-such-page")
    assert response.status_code == 404
    html = response.get_data(as_text=True)
    assert '<html lang="ru">' in html
    assert "Страница не найдена" in html
    assert "Код ошибки: 404" in html
    assert "Page not found" not in html

    choose_language(visitor, "en", "/no-such-page")

    response = visitor.get("/no-such-page")
    assert response.status_code == 404
    html = response.get_data(as_text=True)
    assert '<html lang="en">' in html
    assert "Page not found" in html
    assert "Error code: 404" in html
    assert "Страница не найдена" not in html
