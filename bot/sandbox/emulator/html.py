"""Strict parser for Telegram's HTML parse mode, producing plain text and MessageEntity dicts.

It follows the rules documented for the Bot API: only the listed tags, proper nesting, and
``<``, ``>`` and ``&`` escaped everywhere else (only ``&lt; &gt; &amp; &quot;`` and numeric
entities).  It is deliberately stricter than Telegram where Telegram silently tolerates input
that the documentation forbids, so that the bot's bugs surface in tests.
"""

from __future__ import annotations

import re
from typing import Any

__all__ = ["HtmlParseError", "parse_html", "parse_text", "utf16_len"]

# Tag name -> entity type.  ``None`` means "allowed but produces no entity by itself".
_TAGS: dict[str, str | None] = {
    "b": "bold",
    "strong": "bold",
    "i": "italic",
    "em": "italic",
    "u": "underline",
    "ins": "underline",
    "s": "strikethrough",
    "strike": "strikethrough",
    "del": "strikethrough",
    "span": "spoiler",
    "tg-spoiler": "spoiler",
    "a": "text_link",
    "tg-emoji": "custom_emoji",
    "code": "code",
    "pre": "pre",
    "blockquote": "blockquote",
}
_NAMED = {"lt": "<", "gt": ">", "amp": "&", "quot": '"'}

_SPECIAL = re.compile(r"[<>&]")
_OPEN = re.compile(
    r"<([a-zA-Z][a-zA-Z0-9-]*)"
    r"((?:\s+[a-zA-Z_][a-zA-Z0-9_-]*(?:\s*=\s*(?:\"[^\"]*\"|'[^']*'|[^\s\"'>]+))?)*)\s*>"
)
_ATTR = re.compile(r"([a-zA-Z_][a-zA-Z0-9_-]*)(?:\s*=\s*(\"[^\"]*\"|'[^']*'|[^\s\"'>]+))?")
_CLOSE = re.compile(r"</([a-zA-Z][a-zA-Z0-9-]*)\s*>")
_ENTITY = re.compile(r"&(#[0-9]{1,8}|#[xX][0-9a-fA-F]{1,8}|[a-zA-Z][a-zA-Z0-9]*);")
_LANGUAGE = re.compile(r"language-([\w+#.-]+)")
_SUPPORTED_MODES = {"html": "HTML", "markdownv2": "MarkdownV2", "markdown": "Markdown"}


class HtmlParseError(ValueError):
    """Raised for HTML that Telegram would refuse; the message is the reason text."""


def utf16_len(text: str) -> int:
    """Length of ``text`` in UTF-16 code units, the unit Telegram counts in."""
    if text.isascii():
        return len(text)
    return len(text.encode("utf-16-le")) // 2


def _byte_offset(text: str, pos: int) -> int:
    return len(text[:pos].encode("utf-8"))


def _decode_entity(text: str, pos: int) -> tuple[str, int]:
    """Decode the entity starting at ``pos``; return (character, end index)."""
    m = _ENTITY.match(text, pos)
    if m is None:
        raise HtmlParseError(
            f'Unescaped "&" at byte offset {_byte_offset(text, pos)}; use "&amp;" instead'
        )
    body = m.group(1)
    if body[0] == "#":
        code = int(body[2:], 16) if body[1] in "xX" else int(body[1:])
        if code == 0 or code > 0x10FFFF or 0xD800 <= code <= 0xDFFF:
            raise HtmlParseError(
                f'Invalid numeric entity "{m.group(0)}" at byte offset {_byte_offset(text, pos)}'
            )
        return chr(code), m.end()
    if body not in _NAMED:
        raise HtmlParseError(
            f'Unsupported HTML entity "{m.group(0)}" at byte offset {_byte_offset(text, pos)}'
        )
    return _NAMED[body], m.end()


def _attr_value(raw: str | None) -> str:
    if raw is None:
        return ""
    if raw[:1] in ("'", '"'):
        raw = raw[1:-1]
    if "&" not in raw:
        return raw
    # Inside attribute values Telegram accepts a bare "&" (URLs with query strings).
    out: list[str] = []
    i = 0
    while i < len(raw):
        j = raw.find("&", i)
        if j < 0:
            out.append(raw[i:])
            break
        out.append(raw[i:j])
        try:
            ch, i = _decode_entity(raw, j)
        except HtmlParseError:
            ch, i = "&", j + 1
        out.append(ch)
    return "".join(out)


def _attrs(raw: str) -> dict[str, str]:
    return {m.group(1).lower(): _attr_value(m.group(2)) for m in _ATTR.finditer(raw)}


def parse_html(text: str) -> tuple[str, list[dict]]:
    """Parse Telegram HTML into ``(plain_text, entities)``; raise HtmlParseError if invalid."""
    out: list[str] = []
    entities: list[dict] = []
    # Stack items: [tag, entity dict or None, start offset in UTF-16 units]
    stack: list[list[Any]] = []
    u16 = 0
    i = 0
    n = len(text)
    while i < n:
        m = _SPECIAL.search(text, i)
        end = m.start() if m else n
        if end > i:
            chunk = text[i:end]
            out.append(chunk)
            u16 += utf16_len(chunk)
        if m is None:
            break
        ch = m.group()
        if ch == "&":
            decoded, i = _decode_entity(text, end)
            out.append(decoded)
            u16 += utf16_len(decoded)
            continue
        if ch == ">":
            raise HtmlParseError(
                f'Unescaped ">" at byte offset {_byte_offset(text, end)}; use "&gt;" instead'
            )
        close = _CLOSE.match(text, end)
        if close is not None:
            name = close.group(1).lower()
            if not stack:
                raise HtmlParseError(
                    f'Unexpected end tag "</{name}>" at byte offset {_byte_offset(text, end)}'
                )
            top = stack[-1]
            if top[0] != name:
                raise HtmlParseError(
                    f"Unmatched end tag at byte offset {_byte_offset(text, end)}, "
                    f'expected "</{top[0]}>", found "</{name}>"'
                )
            stack.pop()
            entity = top[1]
            if entity is not None and u16 > top[2]:
                entity["offset"] = top[2]
                entity["length"] = u16 - top[2]
                entities.append(entity)
            i = close.end()
            continue
        opened = _OPEN.match(text, end)
        if opened is None:
            raise HtmlParseError(
                f'Unescaped "<" at byte offset {_byte_offset(text, end)}; use "&lt;" instead'
            )
        name = opened.group(1).lower()
        if name not in _TAGS:
            raise HtmlParseError(
                f'Unsupported start tag "{name}" at byte offset {_byte_offset(text, end)}'
            )
        attrs = _attrs(opened.group(2)) if opened.group(2) else {}
        entity = _open_entity(name, attrs, stack, text, end)
        stack.append([name, entity, u16])
        i = opened.end()
    if stack:
        raise HtmlParseError(f'Can\'t find end tag corresponding to start tag "{stack[-1][0]}"')
    entities.sort(key=lambda e: (e["offset"], -e["length"]))
    return "".join(out), entities


def _open_entity(
    name: str, attrs: dict[str, str], stack: list[list[Any]], text: str, pos: int
) -> dict[str, Any] | None:
    """Validate an opening tag in its context and return the entity it starts (or None)."""
    parent = stack[-1][0] if stack else None
    if parent == "code" or (parent == "pre" and name != "code"):
        # Telegram documents that pre/code entities can't contain other entities.
        raise HtmlParseError(
            f'Tag "{name}" can\'t be nested inside "{parent}" at byte offset '
            f"{_byte_offset(text, pos)}"
        )
    kind = _TAGS[name]
    if name == "span":
        if attrs.get("class") != "tg-spoiler":
            raise HtmlParseError('Tag "span" must have class "tg-spoiler"')
        return {"type": kind}
    if name == "a":
        href = attrs.get("href")
        if not href:
            return None
        return {"type": kind, "url": href}
    if name == "tg-emoji":
        emoji_id = attrs.get("emoji-id")
        if not emoji_id:
            raise HtmlParseError('Tag "tg-emoji" must have attribute "emoji-id"')
        return {"type": kind, "custom_emoji_id": emoji_id}
    if name == "code" and parent == "pre":
        # <pre><code class="language-x"> sets the language of the pre entity instead.
        lang = _LANGUAGE.fullmatch(attrs.get("class", ""))
        pre = stack[-1][1]
        if lang and pre is not None:
            pre["language"] = lang.group(1)
        return None
    if name == "blockquote" and "expandable" in attrs:
        return {"type": "expandable_blockquote"}
    return {"type": kind}


def parse_text(text: str, parse_mode: str | None) -> tuple[str, list[dict]]:
    """Apply a parse mode to ``text``; MarkdownV2/Markdown are accepted without entity parsing."""
    if not parse_mode:
        return text, []
    mode = _SUPPORTED_MODES.get(parse_mode.lower())
    if mode is None:
        raise ValueError(f"unsupported parse_mode {parse_mode!r}")
    if mode == "HTML":
        return parse_html(text)
    return text, []


def normalize_parse_mode(parse_mode: str) -> str | None:
    """Canonical spelling of a parse mode, or None when Telegram does not know it."""
    return _SUPPORTED_MODES.get(parse_mode.lower())
