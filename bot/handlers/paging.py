"""Paged inline keyboards: at most eight items a page, so a list fits a phone screen.

A list screen hands ``paged`` all its item rows, the page asked for and a function that builds
a page button's callback data. It gets back that page's rows plus one navigation row
("« Sebelumnya" / "Berikutnya ›", only the arrows that apply) and a "Halaman 2/3" note for
its text. The page number travels in the callback data (bot.buttons declares each list's page
arity), so a page press edits the same message to that page. A number out of range — an old
press after the list shrank, or forged data — is clamped to the nearest page, never an error.
Rows that belong to every page (back, cancel, "other") are the caller's, around the page.
"""

from __future__ import annotations

from collections.abc import Callable, Sequence
from dataclasses import dataclass
from typing import Final, TypeVar

from telegram import CallbackQuery, InlineKeyboardButton, Message

from bot.handlers.render import button
from bot.i18n import label, t

#: Items on one page: eight rows plus a couple of fixed rows still fit a phone screen.
PAGE_SIZE: Final = 8

Rows = list[list[InlineKeyboardButton]]
T = TypeVar("T")


@dataclass(frozen=True, slots=True)
class Page:
    """One page of a list: its rows (navigation row last, when there is one) and where it is."""

    rows: Rows
    number: int  # 0-based, clamped into range
    count: int  # how many pages the list has (at least 1)
    size: int = PAGE_SIZE

    def of(self, items: Sequence[T]) -> list[T]:
        """This page's part of ``items`` (e.g. the text lines that go with the buttons)."""
        return list(items[self.number * self.size:(self.number + 1) * self.size])

    def note(self, lang: str) -> str:
        """'Halaman 2/3' for the screen's text; empty when the list has one page."""
        if self.count <= 1:
            return ""
        return str(t(lang, "paging.page", page=self.number + 1, pages=self.count))

    def with_note(self, text: str, lang: str) -> str:
        """``text`` with the page note under it (unchanged for a one-page list)."""
        note = self.note(lang)
        return f"{text}\n\n{note}" if note else text


def page_count(items: int, size: int = PAGE_SIZE) -> int:
    """How many pages ``items`` items take (an empty list still has its one page)."""
    return max(1, -(-items // size))


def page_of(index: int, size: int = PAGE_SIZE) -> int:
    """The page the item at ``index`` is on (e.g. to go back to a chosen course's page)."""
    return max(0, index) // size


def paged(items: Sequence[Sequence[InlineKeyboardButton]], page: int,
          callback: Callable[[int], str], lang: str, size: int = PAGE_SIZE) -> Page:
    """Page ``page`` of ``items`` (one row per item), with « / › buttons built by ``callback``."""
    count = page_count(len(items), size)
    number = min(max(page, 0), count - 1)
    start = number * size
    rows: Rows = [list(row) for row in items[start:start + size]]
    nav = []
    if number > 0:
        nav.append(button(label(lang, "paging.previous"), callback(number - 1)))
    if number < count - 1:
        nav.append(button(label(lang, "paging.next"), callback(number + 1)))
    if nav:
        rows.append(nav)
    return Page(rows, number, count, size)


def shows(query: CallbackQuery, prefix: str) -> bool:
    """True when the pressed message carries a button whose data starts with ``prefix``.

    A page press only turns the pages of the list it is on: the same data forged onto another
    message (a live quiz, say) must not replace that message with a list.
    """
    message = query.message
    if not isinstance(message, Message) or message.reply_markup is None:
        return False
    return any(isinstance(b.callback_data, str) and b.callback_data.startswith(prefix)
               for row in message.reply_markup.inline_keyboard for b in row)
