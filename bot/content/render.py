"""Markdown subset → Telegram HTML, page splitting and visible-length counting.

The subset is deliberately small (see docs/content-format.md): paragraphs, line breaks,
``**bold**``, ``_italic_``, `` `code` ``, ``[text](https://url)``, ``- `` bullets and ``1. ``
numbered lines.  Everything else is shown literally.  Whatever the input, the output is valid
Telegram HTML: only ``b``, ``i``, ``code`` and ``a`` tags, properly nested, all text escaped.
"""

from __future__ import annotations

import html
import re
from dataclasses import dataclass, field

__all__ = [
    "ALLOWED_TAGS",
    "MarkdownIssue",
    "markdown_issues",
    "plain_text_issues",
    "render_markdown",
    "split_html",
    "visible_length",
]

#: Tags the renderer may emit; Telegram supports more, but the subset needs only these.
ALLOWED_TAGS = frozenset({"b", "i", "code", "a"})

_URL_RE = re.compile(r"https?://\S+\Z", re.IGNORECASE)
_BULLET_RE = re.compile(r"^(\s*)- (.*)$")
# Inline markers nest at most this deep; deeper markers are shown literally.  Real cards never
# come close, and the bound keeps pathological input from exhausting the recursion limit.
_MAX_DEPTH = 16


# --------------------------------------------------------------------------- inline parsing


@dataclass
class _Node:
    """One parsed inline element: plain text, code, bold, italic or link."""

    kind: str  # "text" | "code" | "b" | "i" | "a"
    text: str = ""
    href: str = ""
    children: list[_Node] = field(default_factory=list)


def _is_word(ch: str) -> bool:
    return ch.isalnum() or ch == "_"


def _skip_code(s: str, i: int) -> int:
    """If a code span starts at i return the index after it, else i + 1."""
    j = s.find("`", i + 1)
    return j + 1 if j > i + 1 else i + 1


def _find_bold_close(s: str, start: int) -> int:
    """Index of the `**` closing a bold span whose content starts at start, or -1."""
    i = start
    while i < len(s) - 1:
        if s[i] == "`":
            i = _skip_code(s, i)
            continue
        if s.startswith("**", i) and i > start and not s[i - 1].isspace():
            return i
        i += 1
    return -1


def _italic_opens(s: str, i: int) -> bool:
    # Word-boundary rule: snake_case_words and __dunder__ never start italics.
    return (
        (i == 0 or not _is_word(s[i - 1]))
        and i + 1 < len(s)
        and not s[i + 1].isspace()
        and s[i + 1] != "_"
    )


def _find_italic_close(s: str, start: int) -> int:
    """Index of the `_` closing an italic span whose content starts at start, or -1."""
    i = start
    while i < len(s):
        if s[i] == "`":
            i = _skip_code(s, i)
            continue
        if (
            s[i] == "_"
            and i > start
            and not s[i - 1].isspace()
            and (i + 1 == len(s) or not _is_word(s[i + 1]))
        ):
            return i
        i += 1
    return -1


def _match_link(s: str, i: int) -> tuple[str, str, int] | None:
    """Parse `[text](url)` at i; return (text, url, end) for any URL, or None."""
    close = s.find("]", i + 1)
    if close == -1 or not s.startswith("(", close + 1):
        return None
    depth = 0
    j = close + 1
    # URLs may contain balanced parentheses (e.g. Wikipedia links).
    while j < len(s):
        if s[j] == "(":
            depth += 1
        elif s[j] == ")":
            depth -= 1
            if depth == 0:
                return s[i + 1 : close], s[close + 2 : j], j + 1
        j += 1
    return None


def _parse_inline(s: str, *, links: bool = True, depth: int = 0) -> list[_Node]:
    nodes: list[_Node] = []
    buf: list[str] = []

    def flush() -> None:
        if buf:
            nodes.append(_Node("text", "".join(buf)))
            buf.clear()

    nested = depth < _MAX_DEPTH
    i = 0
    while i < len(s):
        ch = s[i]
        if ch == "`":
            j = s.find("`", i + 1)
            if j > i + 1:
                flush()
                nodes.append(_Node("code", s[i + 1 : j]))
                i = j + 1
                continue
        elif ch == "*" and nested and s.startswith("**", i) and i + 2 < len(s):
            if not s[i + 2].isspace():
                j = _find_bold_close(s, i + 2)
                if j != -1:
                    flush()
                    inner = _parse_inline(s[i + 2 : j], links=links, depth=depth + 1)
                    nodes.append(_Node("b", children=inner))
                    i = j + 2
                    continue
            # An unmatched `**` stays literal as a unit so its second `*` cannot pair up.
            buf.append("**")
            i += 2
            continue
        elif ch == "_" and nested and _italic_opens(s, i):
            j = _find_italic_close(s, i + 1)
            if j != -1:
                flush()
                inner = _parse_inline(s[i + 1 : j], links=links, depth=depth + 1)
                nodes.append(_Node("i", children=inner))
                i = j + 1
                continue
        elif ch == "[" and links and nested:
            m = _match_link(s, i)
            if m is not None:
                text, url, end = m
                if text.strip() and _URL_RE.match(url):
                    flush()
                    inner = _parse_inline(text, links=False, depth=depth + 1)
                    nodes.append(_Node("a", href=url, children=inner))
                    i = end
                    continue
        buf.append(ch)
        i += 1
    flush()
    return nodes


# --------------------------------------------------------------------------- HTML emission


@dataclass(frozen=True)
class _Run:
    """A stretch of text with flat styling; nesting is rebuilt from runs when emitting."""

    text: str
    href: str | None
    bold: bool
    italic: bool
    code: bool


def _flatten(
    nodes: list[_Node], href: str | None, bold: bool, italic: bool, out: list[_Run]
) -> None:
    for node in nodes:
        if node.kind == "text":
            out.append(_Run(node.text, href, bold, italic, False))
        elif node.kind == "code":
            # Telegram forbids other entities inside or around code, and code inside links;
            # so code drops bold/italic, and inside a link it becomes plain link text.
            if href is None:
                out.append(_Run(node.text, None, False, False, True))
            else:
                out.append(_Run(node.text, href, bold, italic, False))
        elif node.kind == "b":
            _flatten(node.children, href, True, italic, out)
        elif node.kind == "i":
            _flatten(node.children, href, bold, True, out)
        else:  # "a"
            _flatten(node.children, node.href, bold, italic, out)


def _emit(runs: list[_Run]) -> str:
    parts: list[str] = []
    stack: list[tuple[str, str]] = []  # (tag name, opening tag)
    for run in runs:
        if not run.text:
            continue
        want: list[tuple[str, str]] = []
        if run.code:
            want.append(("code", "<code>"))
        else:
            if run.href is not None:
                want.append(("a", f'<a href="{html.escape(run.href, quote=True)}">'))
            if run.bold:
                want.append(("b", "<b>"))
            if run.italic:
                want.append(("i", "<i>"))
        # Keep the open tags that are still wanted (the longest such prefix of the stack),
        # close the rest, then open what is missing: nesting stays proper, output minimal.
        keep = 0
        while keep < len(stack) and stack[keep] in want:
            keep += 1
        while len(stack) > keep:
            parts.append(f"</{stack.pop()[0]}>")
        for item in want:
            if item not in stack:
                parts.append(item[1])
                stack.append(item)
        parts.append(html.escape(run.text, quote=False))
    while stack:
        parts.append(f"</{stack.pop()[0]}>")
    return "".join(parts)


def _render_inline(line: str) -> str:
    runs: list[_Run] = []
    _flatten(_parse_inline(line), None, False, False, runs)
    return _emit(runs)


def _paragraphs(text: str) -> list[list[str]]:
    """Split text into paragraphs (lists of lines) at blank lines; trailing spaces dropped."""
    paragraphs: list[list[str]] = []
    current: list[str] = []
    for raw in text.replace("\r\n", "\n").replace("\r", "\n").split("\n"):
        line = raw.rstrip()
        if line:
            current.append(line)
        elif current:
            paragraphs.append(current)
            current = []
    if current:
        paragraphs.append(current)
    return paragraphs


def render_markdown(text: str) -> str:
    """Render the card Markdown subset to Telegram HTML (always well-formed, tags b/i/code/a)."""
    rendered: list[str] = []
    for paragraph in _paragraphs(text):
        lines = []
        for line in paragraph:
            # Inline markup never spans lines, so every line is closed off on its own and
            # split_html can cut at any line break without touching a tag.
            bullet = _BULLET_RE.match(line)
            if bullet:
                indent, rest = bullet.groups()
                lines.append(f"{indent}• {_render_inline(rest)}")
            else:
                lines.append(_render_inline(line))
        rendered.append("\n".join(lines))
    return "\n\n".join(rendered)


# --------------------------------------------------------------------------- lengths, pages

_TOKEN_RE = re.compile(
    r"(?P<tag><[^<>]*>)|(?P<entity>&(?:#[0-9]+|#[xX][0-9a-fA-F]+|[A-Za-z][A-Za-z0-9]*);)",
)
_TAG_NAME_RE = re.compile(r"<\s*(/?)\s*([A-Za-z][A-Za-z0-9]*)")


def _utf16(text: str) -> int:
    return len(text.encode("utf-16-le")) // 2


def clip_utf16(text: str, limit: int) -> str:
    """``text`` cut to at most ``limit`` UTF-16 code units (how Telegram counts characters)."""
    if _utf16(text) <= limit:
        return text
    return text.encode("utf-16-le")[: limit * 2].decode("utf-16-le", errors="ignore")


def visible_length(html_text: str) -> int:
    """Length of the text Telegram shows, in UTF-16 code units (tags removed, entities decoded)."""
    return _utf16(html.unescape(re.sub(r"<[^<>]*>", "", html_text)))


@dataclass(frozen=True)
class _Atom:
    raw: str
    visible: str  # decoded text; "" for tags
    tag: str = ""  # tag name for tags
    closing: bool = False


def _atoms(html_text: str) -> list[_Atom]:
    atoms: list[_Atom] = []
    pos = 0
    for m in _TOKEN_RE.finditer(html_text):
        atoms.extend(_Atom(ch, ch) for ch in html_text[pos : m.start()])
        if m.group("tag"):
            name = _TAG_NAME_RE.match(m.group("tag"))
            atoms.append(
                _Atom(
                    m.group("tag"),
                    "",
                    tag=name.group(2).lower() if name else "?",
                    closing=bool(name and name.group(1)),
                )
            )
        else:
            atoms.append(_Atom(m.group("entity"), html.unescape(m.group("entity"))))
        pos = m.end()
    atoms.extend(_Atom(ch, ch) for ch in html_text[pos:])
    return atoms


def _apply(stack: list[_Atom], atom: _Atom) -> None:
    if not atom.tag:
        return
    if not atom.closing:
        stack.append(atom)
    elif stack and stack[-1].tag == atom.tag:
        stack.pop()


def _is_space(atom: _Atom) -> bool:
    return not atom.tag and atom.visible.isspace()


def split_html(html_text: str, limit: int = 4096) -> list[str]:
    """Split rendered HTML into pages of at most `limit` visible UTF-16 units.

    Cuts prefer paragraph breaks, then line breaks, then spaces; a tag or entity is never cut.
    Tags open at a cut are closed at the end of the page and reopened on the next one.
    """
    if limit < 2:
        raise ValueError("limit must be at least 2 (one character may take 2 UTF-16 units)")
    atoms = _atoms(html_text)
    pages: list[str] = []
    stack: list[_Atom] = []  # tags open before atom `start`
    start = 0
    while start < len(atoms):
        while start < len(atoms) and _is_space(atoms[start]):
            start += 1
        if start == len(atoms):
            break
        total = 0
        end = start
        best: dict[int, int] = {}  # break quality -> latest cut index with that quality
        while end < len(atoms):
            atom = atoms[end]
            if total and not atom.tag and atom.visible in ("\n", " "):
                if atom.visible == " ":
                    quality = 1
                elif end + 1 < len(atoms) and atoms[end + 1].visible == "\n":
                    quality = 3
                else:
                    quality = 2
                best[quality] = end
            size = _utf16(atom.visible)
            if total + size > limit:
                break
            total += size
            end += 1
        if end < len(atoms):
            end = best[max(best)] if best else max(end, start + 1)
        body_end = end
        while body_end > start and _is_space(atoms[body_end - 1]):
            body_end -= 1
        opened = "".join(a.raw for a in stack)
        for atom in atoms[start:end]:
            _apply(stack, atom)
        body = "".join(a.raw for a in atoms[start:body_end])
        closed = "".join(f"</{a.tag}>" for a in reversed(stack))
        page = opened + body + closed
        if visible_length(page):
            pages.append(page)
        start = end
    return pages


# --------------------------------------------------------------------------- checking


@dataclass(frozen=True)
class MarkdownIssue:
    """A problem in author text: `snippet` is the offending source text, for locating it."""

    snippet: str
    message: str


_HTML_TAG_RE = re.compile(r"</?[A-Za-z][A-Za-z0-9-]*(?:\s[^<>]*)?/?>")
_LINE_RULES = [
    (re.compile(r"^ {0,3}#{1,6}(?:\s|$)"), "headings (#) are not supported; use **bold**"),
    (re.compile(r"^\s*\|.*\|"), "tables are not supported; use a list"),
    (re.compile(r"^\s*>"), "quotes (>) are not supported"),
    (re.compile(r"^\s*```"), "code blocks (```) are not supported; use `code` in a line"),
    (re.compile(r"^\s*[*+]\s"), "bullets must start with '- '"),
]


def _blank_code(line: str) -> str:
    """Replace code spans by spaces of the same length: nothing inside code is markup."""
    return re.sub(r"`[^`]+`", lambda m: " " * len(m.group()), line)


def markdown_issues(text: str) -> list[MarkdownIssue]:
    """Everything in card text that the Markdown subset does not support or that looks broken."""
    issues: list[MarkdownIssue] = []
    for raw_line in text.replace("\r\n", "\n").split("\n"):
        if not raw_line.strip():
            continue
        for pattern, message in _LINE_RULES:
            if pattern.search(raw_line):
                issues.append(MarkdownIssue(raw_line.strip(), message))
        line = _blank_code(raw_line)
        for m in _HTML_TAG_RE.finditer(line):
            issues.append(
                MarkdownIssue(m.group(), f"HTML tag {m.group()} is not allowed; use **bold**")
            )
        for m in re.finditer(r"!?\[", line):
            link = _match_link(line, m.end() - 1)
            if link is None:
                continue
            label, url, end = link
            source = line[m.start() : end]
            if source.startswith("!"):
                issues.append(MarkdownIssue(source, "images are not supported"))
            elif not _URL_RE.match(url.strip()):
                issues.append(
                    MarkdownIssue(source, f"link {url!r} must start with http:// or https://")
                )
            elif not label.strip():
                issues.append(MarkdownIssue(source, "link text is empty"))
        # Whatever the parser leaves as literal `**` or ` is an unclosed marker.
        leftovers = _literal_text(_parse_inline(raw_line))
        if "**" in leftovers:
            issues.append(MarkdownIssue(raw_line.strip(), "unclosed ** (bold)"))
        if "`" in leftovers:
            issues.append(MarkdownIssue(raw_line.strip(), "unclosed ` (code)"))
    return issues


def _literal_text(nodes: list[_Node]) -> str:
    return "".join(
        n.text if n.kind == "text" else "" if n.kind == "code" else _literal_text(n.children)
        for n in nodes
    )


def plain_text_issues(text: str) -> list[MarkdownIssue]:
    """Markup in a plain-text field (poll question, option, title), where it would show as-is."""
    issues: list[MarkdownIssue] = []
    for m in _HTML_TAG_RE.finditer(text):
        issues.append(MarkdownIssue(m.group(), f"HTML tag {m.group()} in plain text"))
    for marker, pattern in (
        ("**bold**", r"\*\*\S[^\n]*?\*\*"),
        ("[link](url)", r"\[[^\]\n]+\]\([^)\n]+\)"),
        ("`code`", r"`[^`\n]+`"),
    ):
        found = re.search(pattern, text)
        if found:
            issues.append(
                MarkdownIssue(
                    found.group(), f"{marker} is not formatted in plain-text fields; remove it"
                )
            )
    return issues
