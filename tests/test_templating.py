"""What every template can use (portal.templating): the filters that write amounts, shares and
numbers and the `_()` that translates, in the page's language wherever in the page they are
called, and the globals that are the same on every page."""

from __future__ import annotations

from decimal import Decimal

import pytest
from flask import Flask, render_template_string
from flask_babel import force_locale

from portal import labels
from portal.i18n import LANGUAGE_COOKIE
from portal.models import Role

FIGURES = ("{{ amount|money }} {{ share|percent }} {{ count|number }} {{ _('Finance') }} "
           "{{ ngettext('The call has %(num)d funded project.', "
           "'The call has %(num)d funded projects.', 2) }}")
VALUES = {"amount": Decimal("1234567.89"), "share": Decimal("12.5"), "count": Decimal("1500")}
WRITTEN = {"en": "1,234,567.89\u00a0₽ 12.5\u00a0% 1,500 Finance "
                 "The call has 2 funded projects.",
           "ru": "1\u00a0234\u00a0567,89\u00a0₽ 12,5\u00a0% 1\u00a0500 Финансовый отдел "
                 "В конкурсе 2 поддержанных проекта."}


@pytest.mark.parametrize("locale", ["en", "ru"])
def test_the_filters_write_figures_in_the_pages_language(app: Flask, locale: str) -> None:
    with app.test_request_context(headers={"Cookie": f"{LANGUAGE_COOKIE}={locale}"}):
        assert render_template_string(FIGURES, **VALUES) == WRITTEN[locale]


@pytest.mark.parametrize("locale", ["en", "ru"])
def test_a_macro_imported_without_the_pages_context_writes_them_the_same(
    app: Flask, locale: str
) -> None:
    """The page's language is read once into its context; a macro imported without that
    context (Jinja's default for `{% from ... import %}`) falls back to the current one."""
    loader = app.jinja_env.loader
    app.jinja_env.loader = None  # render from strings only
    try:
        macro = app.jinja_env.from_string(
            "{% macro figures(amount, share, count) %}" + FIGURES + "{% endmacro %}")
        app.jinja_env.globals["figures_module"] = macro.module
        with app.test_request_context(headers={"Cookie": f"{LANGUAGE_COOKIE}={locale}"}):
            html = render_template_string(
                "{{ figures_module.figures(amount, share, count) }}", **VALUES)
    finally:
        app.jinja_env.loader = loader
        app.jinja_env.globals.pop("figures_module", None)
    assert html == WRITTEN[locale]


def test_a_template_rendered_under_another_language_follows_it(app: Flask) -> None:
    """E-mails and documents are rendered with force_locale inside a request in another
    language: the figures follow the forced language."""
    with app.test_request_context(headers={"Cookie": f"{LANGUAGE_COOKIE}=en"}):
        with force_locale("ru"):
            assert render_template_string(FIGURES, **VALUES) == WRITTEN["ru"]
        assert render_template_string(FIGURES, **VALUES) == WRITTEN["en"]


def test_the_labels_roles_and_can_are_there_in_every_template(app: Flask) -> None:
    names = [name for name in dir(labels) if name.endswith("_LABELS")]
    assert names
    with app.test_request_context("/calls?year=2026"):
        assert render_template_string(
            "".join(f"{{{{ {name} is defined }}}} " for name in names)
            + "{{ Role.CHAIR.value }} {{ can is defined }} {{ Action is defined }} "
            "{{ LANGUAGE_NAMES.ru }} {{ zip is defined }} "
            "{{ current_locale }} {{ accessible_mode }} {{ current_path }}"
        ) == "True " * len(names) + f"{Role.CHAIR.value} True True Русский True ru False " \
            "/calls?year=2026"
