"""The Markdown subset renderer, page splitting and visible length."""

from __future__ import annotations

import html
import re
from html.parser import HTMLParser

import pytest
from hypothesis import given, settings
from hypothesis import strategies as st

from bot.content.render import (
    markdown_issues,
    plain_text_issues,
    render_markdown,
    split_html,
    visible_length,
)


class TelegramHTML(HTMLParser):
    """Checks the rules Telegram applies to HTML: known tags, proper nesting, no tags in code."""

    def __init__(self) -> None:
        super().__init__(convert_charrefs=True)
        self.stack: list[str] = []
        self.errors: list[str] = []
        self.text: list[str] = []

    def handle_starttag(self, tag: str, attrs: list[tuple[str, str | None]]) -> None:
        if tag not in {"b", "i", "code", "a"}:
            self.errors.append(f"tag {tag}")
        if tag == "a" and [name for name, _ in attrs] != ["href"]:
            self.errors.append(f"a attrs {attrs}")
        if tag != "a" and attrs:
            self.errors.append(f"{tag} attrs {attrs}")
        if "code" in self.stack:
            self.errors.append(f"{tag} inside code")
        if tag == "code" and self.stack:
            self.errors.append(f"code inside {self.stack}")
        if tag == "a" and "a" in self.stack:
            self.errors.append("a inside a")
        if tag in self.stack:
            self.errors.append(f"{tag} inside {tag}")
        self.stack.append(tag)

    def handle_endtag(self, tag: str) -> None:
        if not self.stack or self.stack[-1] != tag:
            self.errors.append(f"unexpected </{tag}> with {self.stack}")
        else:
            self.stack.pop()

    def handle_data(self, data: str) -> None:
        self.text.append(data)


def check_html(out: str) -> str:
    """Assert `out` is valid Telegram HTML; return its visible text."""
    parser = TelegramHTML()
    parser.feed(out)
    parser.close()
    assert not parser.errors, (out, parser.errors)
    assert not parser.stack, (out, parser.stack)
    # Every '&' starts an entity; every '<' starts an allowed tag.
    assert not re.search(r"&(?!(?:amp|lt|gt|quot|#x27);)", out), out
    tags = re.findall(r"<[^>]*>", out)
    assert all(re.fullmatch(r'</?(b|i|code)>|<a href="[^"<>]*">|</a>', t) for t in tags), tags
    assert ">" not in re.sub(r"<[^>]*>", "", out), out
    return "".join(parser.text)


@pytest.mark.parametrize(
    ("source", "expected"),
    [
        ("a < b & c > d", "a &lt; b &amp; c &gt; d"),
        ('say "hi"', 'say "hi"'),
        ("<b>not a tag</b>", "&lt;b&gt;not a tag&lt;/b&gt;"),
        ("**bold**", "<b>bold</b>"),
        ("_italic_ word", "<i>italic</i> word"),
        ("`x < 1`", "<code>x &lt; 1</code>"),
        ("`**not bold**`", "<code>**not bold**</code>"),
        ("snake_case_name and __init__", "snake_case_name and __init__"),
        ("file_name_ and _x", "file_name_ and _x"),
        ("**bold _both_ bold**", "<b>bold <i>both</i> bold</b>"),
        ("_italic **both** italic_", "<i>italic <b>both</b> italic</i>"),
        ("**a `c` b**", "<b>a </b><code>c</code><b> b</b>"),
    ],
)
def test_inline(source: str, expected: str) -> None:
    """Inline markup, escaping and word-boundary italics."""
    assert render_markdown(source) == expected
    check_html(expected)


@pytest.mark.parametrize(
    ("source", "expected"),
    [
        ("[UU 25](https://jdih.go.id/uu)", '<a href="https://jdih.go.id/uu">UU 25</a>'),
        ("[x](HTTP://A.B)", '<a href="HTTP://A.B">x</a>'),
        ('[q](https://a.b/?x="1"&y=2)', '<a href="https://a.b/?x=&quot;1&quot;&amp;y=2">q</a>'),
        ("[w](https://w.org/A_(b))", '<a href="https://w.org/A_(b)">w</a>'),
        ("[**b** `c`](https://a.b)", '<a href="https://a.b"><b>b</b> c</a>'),
        ("[js](javascript:alert(1))", "[js](javascript:alert(1))"),
        ("[f](ftp://a.b)", "[f](ftp://a.b)"),
        ("[](https://a.b)", "[](https://a.b)"),
        ("[a](https://a b)", "[a](https://a b)"),
    ],
)
def test_links(source: str, expected: str) -> None:
    """Only http(s) links become <a>; quotes in the href are escaped; others stay text."""
    assert render_markdown(source) == expected
    check_html(expected)


def test_lists_and_paragraphs() -> None:
    """Bullets become •, numbers stay, blank lines separate paragraphs (exactly one)."""
    source = "Intro line\nsecond line\n\n\n\n- one\n- **two**\n  - nested\n\n1. first\n2. second\n"
    assert render_markdown(source) == (
        "Intro line\nsecond line\n\n• one\n• <b>two</b>\n  • nested\n\n1. first\n2. second"
    )


def test_crlf_and_trailing_spaces() -> None:
    """Windows line ends and trailing spaces do not matter."""
    assert render_markdown("a  \r\n\r\nb\r\n") == "a\n\nb"


@pytest.mark.parametrize(
    "source",
    ["**unclosed", "unclosed**", "_open", "`tick", "**a _b** c_", "[x](https://a", "****", "``"],
)
def test_unmatched_markers_stay_literal(source: str) -> None:
    """Unmatched markers are shown as they are, and the HTML stays valid."""
    out = render_markdown(source)
    assert "**" not in source or "**" in out or "<b>" in out
    assert html.unescape(re.sub(r"<[^>]*>", "", out)).replace(" ", "") != ""
    check_html(out)


def test_markup_does_not_span_lines() -> None:
    """Every line closes its own tags, so pages can be cut at any line break."""
    out = render_markdown("**a\nb**")
    assert out == "**a\nb**"


def test_deep_nesting_is_bounded() -> None:
    """Absurd nesting renders without blowing the recursion limit."""
    source = "**_" * 400 + "x" + "_**" * 400
    check_html(render_markdown(source))


def test_visible_length_counts_utf16_and_entities() -> None:
    """Tags count 0, entities count as their character, emoji as 2 UTF-16 units."""
    assert visible_length("<b>a&amp;b</b>") == 3
    assert visible_length('<a href="https://x.y">😀</a>') == 2
    assert visible_length("&lt;&#x27;&quot;") == 3


def test_split_short_text_is_one_page() -> None:
    """Text under the limit stays one page."""
    out = render_markdown("**a**\n\nb")
    assert split_html(out) == [out]
    assert split_html("") == []


def test_split_prefers_paragraphs_then_lines() -> None:
    """Cuts happen at paragraph breaks before line breaks."""
    para = "line one\nline two"
    text = "\n\n".join([para] * 4)
    pages = split_html(text, limit=40)
    assert pages == ["line one\nline two\n\nline one\nline two"] * 2


def test_split_closes_and_reopens_tags() -> None:
    """A tag open at a cut is closed on one page and reopened on the next."""
    text = '<a href="https://a.b"><b>' + "word " * 20 + "</b></a>"
    pages = split_html(text, limit=22)
    assert len(pages) > 1
    for page in pages:
        check_html(page)
        assert page.startswith('<a href="https://a.b"><b>')
        assert page.endswith("</b></a>")
        assert visible_length(page) <= 22


def test_split_never_cuts_entities_or_surrogates() -> None:
    """Entities and emoji stay whole even when a word must be cut."""
    text = "&amp;😀" * 30
    pages = split_html(text, limit=7)
    for page in pages:
        assert visible_length(page) <= 7
        assert not re.search(r"&(?!amp;)", page)
    assert "".join(html.unescape(p) for p in pages) == "&😀" * 30


def test_split_rejects_tiny_limit() -> None:
    """A limit below 2 cannot hold every character."""
    with pytest.raises(ValueError):
        split_html("abc", limit=1)


def test_markdown_issues() -> None:
    """Unsupported Markdown and bad links are reported with the offending snippet."""
    issues = markdown_issues(
        "# Heading\nA <b>tag</b> and `<b>` in code\n[x](ftp://a) and [y](https://ok.id)\n"
        "**open\n* star bullet\n| a | b |\n> quote\n![img](https://a.b/c.png)\n[](https://a)"
    )
    messages = [(i.snippet, i.message.split(" ")[0]) for i in issues]
    assert messages == [
        ("# Heading", "headings"),
        ("<b>", "HTML"),
        ("</b>", "HTML"),
        ("[x](ftp://a)", "link"),
        ("**open", "unclosed"),
        ("* star bullet", "bullets"),
        ("| a | b |", "tables"),
        ("> quote", "quotes"),
        ("![img](https://a.b/c.png)", "images"),
        ("[](https://a)", "link"),
    ]
    assert markdown_issues("Good **text** with _style_, `code` and [a](https://a.b).") == []
    assert markdown_issues("x < y & a_b_c #1 2*3") == []


def test_plain_text_issues() -> None:
    """Markup in plain-text fields is flagged because polls would show it literally."""
    assert [i.snippet for i in plain_text_issues("A **b** [c](https://d) `e` <i>")] == [
        "<i>",
        "**b**",
        "[c](https://d)",
        "`e`",
    ]
    assert plain_text_issues("Pasal 5 * 3 < 20 & ok_name") == []


# --------------------------------------------------------------------------- properties

_PIECES = st.sampled_from(
    [
        "a", "b", " ", "  ", "\n", "\n\n", "*", "**", "_", "`", "[", "]", "(", ")",
        "<", ">", "&", '"', "'", "- ", "1. ", "#", "https://x.id", "javascript:", "&amp;",
        "<b>", "</i>", "😀", "é", "\\", "_x_", "**y**", "[t](https://u.v)", "snake_case",
    ]
)  # fmt: skip
_MARKDOWNISH = st.lists(_PIECES, max_size=60).map("".join)


@settings(max_examples=400, deadline=None)
@given(st.one_of(_MARKDOWNISH, st.text(max_size=200)))
def test_any_text_renders_to_valid_html(source: str) -> None:
    """Whatever the author writes, the output is valid Telegram HTML."""
    check_html(render_markdown(source))


@settings(max_examples=200, deadline=None)
@given(st.one_of(_MARKDOWNISH, st.text(max_size=300)), st.integers(min_value=2, max_value=60))
def test_split_pages_are_valid_and_complete(source: str, limit: int) -> None:
    """Pages are valid HTML within the limit and together hold all visible text."""
    rendered = render_markdown(source)
    pages = split_html(rendered, limit=limit)
    for page in pages:
        check_html(page)
        assert 0 < visible_length(page) <= limit

    def squash(text: str) -> str:
        return re.sub(r"\s+", "", html.unescape(re.sub(r"<[^>]*>", "", text)))

    assert "".join(squash(p) for p in pages) == squash(rendered)


def test_clip_utf16_counts_like_telegram() -> None:
    from bot.content.render import clip_utf16

    assert clip_utf16("abc", 5) == "abc"
    assert clip_utf16("😀" * 100, 128) == "😀" * 64  # an emoji is two UTF-16 units
    assert clip_utf16("a" + "😀" * 10, 4) == "a😀"  # never half a surrogate pair
    assert len(clip_utf16("é" * 200, 128)) == 128
