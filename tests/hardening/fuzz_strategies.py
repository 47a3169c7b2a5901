"""Hypothesis strategies for hostile updates, as JSON-ready action dicts (see fuzz_world)."""

from __future__ import annotations

from typing import Any

from hypothesis import strategies as st

# Pieces that break naive text handling: bidi overrides, zero-width characters, combining
# marks, emoji sequences, markup and entities, Telegram-looking syntax, control characters.
NASTY = [
    "\u202e", "\u202d", "\u2066", "\u200b", "\u200c", "\u200d", "\ufeff", "\u0301" * 30,
    "👨‍👩‍👧‍👦", "🇮🇩", "🏳️‍🌈", "<b>", "</i>", "<a href='javascript:x'>", "&amp;", "&", "<", ">",
    "<tg-spoiler>", "```", "@sinau_bot", "/start", "#tag", "https://t.me/x?start=c_AAAAAAAAAA",
    "\x00", "\x1b[31m", "\r\n", "\t", "%s%d{}{0}", "{name}", "'; DROP TABLE users; --",
    "ك", "ע", "ญ", "𝕏", "\U0010fffd", " ", "",
]
TEXT_CHARS = st.characters(blacklist_categories=("Cs",))


@st.composite
def hostile_text(draw: Any, max_size: int = 10_000) -> str:
    """Any Unicode text, 0 to ``max_size`` characters, often stuffed with nasty pieces."""
    parts = draw(st.lists(st.one_of(st.sampled_from(NASTY), st.text(TEXT_CHARS, max_size=40)),
                          max_size=8))
    text = "".join(parts)
    repeat = draw(st.sampled_from([1, 1, 1, 1, 2, 50, 1000]))
    return (text * repeat)[:max_size]


def names() -> st.SearchStrategy[str]:
    """A Telegram first name: 1 to 64 characters, as hostile as Telegram allows."""
    return st.one_of(
        st.sampled_from(["<b>Budi</b>", "\u202eadmin", "\u200b", " ", "&amp;lt;",
                         "🙂" * 64, "ﷺ" * 64, "a" * 64, "Z\u0301\u0302\u0303" * 16]),
        st.text(TEXT_CHARS, min_size=1, max_size=64),
    ).filter(lambda s: 0 < len(s) <= 64)


def numbers() -> st.SearchStrategy[str]:
    """Numbers as a hostile client would send them."""
    return st.sampled_from(["0", "1", "2", "-1", "-0", "007", "1e9", "99999999999999999999",
                            "9" * 40, "2147483648", "-9223372036854775809", "١٢٣", "0x10",
                            " 1", "NaN", "inf", "１"])


def field_values(real_ids: list[str]) -> st.SearchStrategy[str]:
    """One ``:``-separated field of callback data or a command argument."""
    return st.one_of(numbers(), st.sampled_from(real_ids or ["1"]),
                     st.text(TEXT_CHARS, max_size=12),
                     st.sampled_from(["", "id", "en", "fr", "keep", "edit", "go", "x", "🙂",
                                      "members", "trainers", "link", "new", "all", "c_"]))


def fit_64_bytes(data: str) -> str:
    """Cut callback data to Telegram's 64 bytes (on a character boundary)."""
    raw = data.encode()[:64]
    return raw.decode(errors="ignore")


@st.composite
def callback_data(draw: Any, prefixes: list[str], real_ids: list[str]) -> str:
    """Forged data: random, or a registered prefix with wrong, odd or too many fields."""
    if draw(st.integers(0, 3)) == 0:
        return fit_64_bytes(draw(st.text(TEXT_CHARS, max_size=64)))
    prefix = draw(st.sampled_from(prefixes))
    fields = draw(st.lists(field_values(real_ids), max_size=6))
    action = draw(st.one_of(st.text("abcdefghijklmnopqrstuvwxyz", max_size=6),
                            st.sampled_from(["a", "n", "q", "s", "p", "c", "d", "go", "pick",
                                             "time", "unit", "name", "language", "who",
                                             "lang", "x", "m", "t", "ok", "no", "w"])))
    if prefix.endswith(":"):
        data = prefix + ":".join([action, *fields])
    else:  # a complete datum like learn:go: add, cut or bend it
        data = draw(st.sampled_from([prefix, prefix + ":" + ":".join(fields), prefix[:-1],
                                     prefix.upper(), prefix + action]))
    return fit_64_bytes(data)


def actions(commands: list[str], prefixes: list[str], real_ids: list[str]
            ) -> st.SearchStrategy[dict[str, Any]]:
    """One thing some user (or Telegram) does."""
    who = st.integers(0, 40)
    where = st.integers(0, 3)
    args = st.one_of(st.just(""), hostile_text(200),
                     st.lists(field_values(real_ids), max_size=4).map(" ".join))
    raw_kinds = ["channel_post", "edited_channel_post", "business_message",
                 "edited_business_message", "deleted_business_messages", "message_reaction",
                 "message_reaction_count", "chat_join_request", "inline_query",
                 "chosen_inline_result", "shipping_query", "pre_checkout_query", "poll",
                 "poll_answer", "chat_member", "my_chat_member", "chat_boost",
                 "removed_chat_boost", "edited_message"]
    odd = st.sampled_from([
        {"dice": {"emoji": "🎲", "value": 3}},
        {"location": {"latitude": -6.2, "longitude": 106.8}},
        {"contact": {"phone_number": "+62 811", "first_name": "<b>X</b>"}},
        {"sticker": {"file_id": "s1", "file_unique_id": "u1", "type": "regular",
                     "width": 512, "height": 512, "is_animated": False, "is_video": False}},
        {"new_chat_title": "<i>baru</i>"},
        {"left_chat_member": {"id": 1, "is_bot": False, "first_name": "x"}},
        {"voice": {"file_id": "v1", "file_unique_id": "v1", "duration": 2}},
        {"document": {"file_id": "missing", "file_unique_id": "m", "file_name": "big.toml",
                      "file_size": 2_000_000_000}},
        {"photo": [{"file_id": "gone", "file_unique_id": "g", "width": 1, "height": 1}]},
    ])
    return st.one_of(
        st.fixed_dictionaries({"k": st.just("text"), "u": who, "c": where,
                               "t": hostile_text()}),
        st.fixed_dictionaries({"k": st.just("cmd"), "u": who, "c": where,
                               "cmd": st.sampled_from(commands), "at": st.booleans(),
                               "args": args}),
        st.fixed_dictionaries({"k": st.just("cb"), "u": who, "c": where,
                               "m": st.integers(0, 2**31),
                               "d": callback_data(prefixes, real_ids)}),
        st.fixed_dictionaries({"k": st.just("press"), "u": who, "c": where,
                               "m": st.integers(0, 1000), "b": st.integers(0, 20)}),
        st.fixed_dictionaries({"k": st.just("edit"), "u": who, "c": where,
                               "t": hostile_text(4096)}),
        st.fixed_dictionaries({"k": st.just("raw"), "u": who, "g": st.integers(0, 2),
                               "kind": st.sampled_from(raw_kinds), "t": hostile_text(300),
                               "m": st.integers(1, 2**31), "c": st.integers(0, 1),
                               "status": st.sampled_from(["left", "kicked", "member"])}),
        st.fixed_dictionaries({"k": st.just("raw"), "u": who, "g": st.integers(0, 2),
                               "kind": st.just("odd_message"), "content": odd,
                               "c": st.integers(0, 1)}),
        st.fixed_dictionaries({"k": st.sampled_from(["join", "leave", "addbot"]), "u": who,
                               "g": st.integers(0, 2)}),
        st.fixed_dictionaries({"k": st.just("user"), "first": names(),
                               "last": st.none() | names(),
                               "username": st.none() | st.from_regex(r"[a-z][a-z0-9_]{4,31}",
                                                                     fullmatch=True),
                               "lang": st.sampled_from([None, "id", "en", "fr", "zz",
                                                        "pt-br", "id-ID"])}),
        st.fixed_dictionaries({"k": st.just("doc"), "u": who, "c": where,
                               "name": st.sampled_from(["pack.toml", "x.pdf", "a.toml.exe",
                                                        "noext", "<b>.toml", "ملف.toml",
                                                        "PACK.TOML", ".toml"]),
                               "mime": st.sampled_from(["application/toml", "text/plain",
                                                        "application/pdf",
                                                        "application/octet-stream",
                                                        "image/png"]),
                               "size": st.sampled_from([0, 32, 4096, 300_000]),
                               "seed": st.integers(0, 1000),
                               "toml": st.none() | hostile_text(2000) | st.sampled_from([
                                   'key = "x"\n[course]\nkey = "a"\n', "[[lessons]]\n" * 50,
                                   "= = =", 'title = "\\u0000"\n']),
                               "caption": st.none() | hostile_text(1024)}),
        st.fixed_dictionaries({"k": st.just("poll"), "u": who, "p": st.integers(0, 100),
                               "o": st.lists(st.integers(0, 9), min_size=1, max_size=2)}),
    )
