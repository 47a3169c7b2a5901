"""The Telegram-HTML parser: entities, UTF-16 offsets and every kind of broken markup."""

from __future__ import annotations

import pytest

from bot.sandbox.emulator import HtmlParseError, parse_html, utf16_len


def test_plain_text_and_entities() -> None:
    text, entities = parse_html(
        '<b>Halo</b> <i>dunia</i> <a href="https://x.id/?a=1&amp;b=2">x</a>'
    )
    assert text == "Halo dunia x"
    assert entities == [
        {"type": "bold", "offset": 0, "length": 4},
        {"type": "italic", "offset": 5, "length": 5},
        {"type": "text_link", "offset": 11, "length": 1, "url": "https://x.id/?a=1&b=2"},
    ]


def test_offsets_are_utf16() -> None:
    text, entities = parse_html("😀 <u>ok</u>")
    assert utf16_len(text) == 5
    assert entities == [{"type": "underline", "offset": 3, "length": 2}]


def test_escapes_and_numeric_entities() -> None:
    assert parse_html("1 &lt; 2 &amp;&amp; 3 &gt; 2 &quot;x&quot; &#128512; &#x41;")[0] == (
        '1 < 2 && 3 > 2 "x" 😀 A'
    )


def test_all_allowed_tags() -> None:
    html = (
        "<b>a</b><strong>a</strong><i>a</i><em>a</em><u>a</u><ins>a</ins><s>a</s>"
        '<strike>a</strike><del>a</del><span class="tg-spoiler">a</span><tg-spoiler>a</tg-spoiler>'
        '<tg-emoji emoji-id="5368324170671202286">a</tg-emoji><code>a</code>'
        '<pre><code class="language-python">a</code></pre><blockquote>a</blockquote>'
        "<blockquote expandable>a</blockquote><B>upper</B>"
    )
    text, entities = parse_html(html)
    assert text.endswith("aupper")
    types = [e["type"] for e in entities]
    assert types.count("bold") == 3
    assert "expandable_blockquote" in types
    pre = next(e for e in entities if e["type"] == "pre")
    assert pre["language"] == "python"


@pytest.mark.parametrize(
    ("html", "reason"),
    [
        ("<p>x</p>", 'Unsupported start tag "p"'),
        ("<br/>", "Unescaped"),
        ("<b>x", 'Can\'t find end tag corresponding to start tag "b"'),
        ("<b><i>x</b></i>", "Unmatched end tag"),
        ("x</b>", "Unexpected end tag"),
        ("a < b", 'Unescaped "<"'),
        ("a > b", 'Unescaped ">"'),
        ("Q&A", 'Unescaped "&"'),
        ("&nbsp;", "Unsupported HTML entity"),
        ('<span class="x">s</span>', "tg-spoiler"),
        ("<tg-emoji>x</tg-emoji>", "emoji-id"),
        ("<code><b>x</b></code>", "can't be nested"),
    ],
)
def test_broken_html_is_rejected(html: str, reason: str) -> None:
    with pytest.raises(HtmlParseError, match=reason):
        parse_html(html)
