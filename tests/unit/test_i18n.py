"""Catalogues: both languages have the same keys and placeholders; t() escapes values."""

from __future__ import annotations

import pytest

from bot.i18n import (
    LANGUAGES,
    SafeHtml,
    catalogue,
    choose_language,
    detect_language,
    label,
    language_from_code,
    placeholders,
    t,
)


def test_catalogues_have_the_same_keys() -> None:
    keys = {lang: set(catalogue(lang)) for lang in LANGUAGES}
    assert keys["id"] == keys["en"], {
        "only in id": sorted(keys["id"] - keys["en"]),
        "only in en": sorted(keys["en"] - keys["id"]),
    }


def test_catalogues_have_the_same_placeholders() -> None:
    mismatched = {
        key: (placeholders(catalogue("id")[key]), placeholders(catalogue("en")[key]))
        for key in catalogue("id")
        if placeholders(catalogue("id")[key]) != placeholders(catalogue("en")[key])
    }
    assert mismatched == {}


def test_no_empty_entries() -> None:
    for lang in LANGUAGES:
        assert all(text.strip() for text in catalogue(lang).values()), lang


def test_t_escapes_parameters_but_not_safe_html() -> None:
    text = t("en", "start.welcome", name="<b>Budi</b> & co")
    assert "&lt;b&gt;Budi&lt;/b&gt; &amp; co" in text
    assert "<b>Sinau</b>" in text
    assert "<i>x</i>" in t("en", "start.welcome", name=SafeHtml("<i>x</i>"))


def test_t_falls_back_to_indonesian() -> None:
    assert t("fr", "common.error") == t("id", "common.error")
    with pytest.raises(KeyError):
        t("id", "no.such.key")


@pytest.mark.parametrize(
    ("code", "expected"),
    [("id", "id"), ("en", "en"), ("en-GB", "en"), ("jv", "id"), ("de", None), (None, None)],
)
def test_language_from_code(code: str | None, expected: str | None) -> None:
    assert language_from_code(code) == expected


def test_detect_language() -> None:
    assert detect_language("ok") is None  # too short to judge
    assert detect_language(
        "Saya bekerja di kantor kelurahan dan ingin belajar tentang pelayanan publik."
    ) == "id"
    assert detect_language(
        "I work at the district office and would like to learn about public service."
    ) == "en"


def test_choose_language_precedence() -> None:
    assert choose_language("en", "id") == "en"
    assert choose_language(None, "en") == "en"
    assert choose_language(None, "de", "The quick brown fox jumps over the lazy dog again") == "en"
    assert choose_language(None, None, None) == "id"


def test_labels_are_plain_text_with_the_parameters_as_typed() -> None:
    name = "Bina & Karya <Kelurahan>"
    assert "Bina &amp; Karya &lt;Kelurahan&gt;" in t("id", "cohort.item", name=name, members=3)
    shown = label("id", "cohort.item", name=name, members=3)
    assert name in shown and "&amp;" not in shown
