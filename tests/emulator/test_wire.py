"""Strict request validation over raw HTTP: tokens, methods, parameters, types and limits."""

from __future__ import annotations

import aiohttp
import pytest

from bot.sandbox.emulator import METHODS, BotApiEmulator

from .conftest import Call


@pytest.fixture
def user(emu: BotApiEmulator):
    return emu.add_user("Sari", started=True)


async def test_wrong_token_is_401(api: Call) -> None:
    status, body = await api("getMe", token="999:wrong")
    assert status == 401
    assert body == {"ok": False, "error_code": 401, "description": "Unauthorized"}


async def test_unknown_method_is_404_and_names_are_case_insensitive(api: Call) -> None:
    status, body = await api("sendMassage")
    assert (status, body["description"]) == (404, "Not Found")
    status, body = await api("GETME")
    assert status == 200 and body["result"]["username"] == "sinau_bot"


async def test_query_string_and_json_body(emu: BotApiEmulator, user) -> None:
    async with aiohttp.ClientSession() as session:
        url = f"{emu.url}/bot{emu.token}/sendMessage"
        async with session.get(url, params={"chat_id": str(user.id), "text": "q"}) as resp:
            assert (await resp.json())["result"]["text"] == "q"
        payload = {"chat_id": user.id, "text": "j", "reply_markup": {"inline_keyboard": []}}
        async with session.post(url, json=payload) as resp:
            assert (await resp.json())["ok"] is True


async def test_unknown_parameter_rejected_and_recorded(
    emu: BotApiEmulator, api: Call, user
) -> None:
    status, body = await api("sendMessage", chat_id=user.id, text="x", colour="red")
    assert status == 400
    assert body["description"] == "Bad Request: unknown parameter colour"
    assert [v.description for v in emu.violations] == [body["description"]]
    assert emu.requests[-1].ok is False


async def test_missing_required_field(api: Call, user) -> None:
    status, body = await api("sendMessage", chat_id=user.id)
    assert (status, body["description"]) == (400, "Bad Request: message text is empty")
    status, body = await api("sendMessage", text="x")
    assert body["description"] == "Bad Request: chat_id is empty"
    status, body = await api("getFile")
    assert body["description"] == "Bad Request: parameter file_id is required"


async def test_types_are_checked(api: Call, user) -> None:
    status, body = await api("sendMessage", chat_id="abc", text="x")
    assert status == 400 and "chat not found" in body["description"]
    status, body = await api("sendMessage", chat_id=user.id, text="x", disable_notification="yes")
    assert status == 400 and "Boolean" in body["description"]
    status, body = await api("getUpdates", limit="ten")
    assert status == 400 and "Integer" in body["description"]
    status, body = await api("getUpdates", limit=101)
    assert status == 400 and "between 1 and 100" in body["description"]


async def test_text_limit_4096_utf16_after_parsing(api: Call, user) -> None:
    ok = await api("sendMessage", chat_id=user.id, text="a" * 4096)
    assert ok[0] == 200
    status, body = await api("sendMessage", chat_id=user.id, text="a" * 4097)
    assert (status, body["description"]) == (400, "Bad Request: message is too long")
    # Tags do not count, but the text after parsing does.
    html = "<b>" + "a" * 4096 + "</b>"
    assert (await api("sendMessage", chat_id=user.id, text=html, parse_mode="HTML"))[0] == 200
    status, _ = await api("sendMessage", chat_id=user.id, text=html + "!", parse_mode="HTML")
    assert status == 400
    # Characters outside the BMP count twice (UTF-16).
    status, body = await api("sendMessage", chat_id=user.id, text="😀" * 2049)
    assert body["description"] == "Bad Request: message is too long"
    assert (await api("sendMessage", chat_id=user.id, text="😀" * 2048))[0] == 200


async def test_empty_text_after_parsing(api: Call, user) -> None:
    status, body = await api("sendMessage", chat_id=user.id, text="<b> </b>", parse_mode="HTML")
    assert (status, body["description"]) == (400, "Bad Request: message text is empty")


@pytest.mark.parametrize("html", ["<p>x</p>", "<b>x", "1 < 2", "Q&A"])
async def test_broken_html_rejected(emu: BotApiEmulator, api: Call, user, html: str) -> None:
    status, body = await api("sendMessage", chat_id=user.id, text=html, parse_mode="html")
    assert status == 400
    assert body["description"].startswith("Bad Request: can't parse entities: ")
    assert emu.violations
    # Without a parse mode the same text is fine.
    assert (await api("sendMessage", chat_id=user.id, text=html))[0] == 200


def _keyboard(data: str) -> dict:
    return {"inline_keyboard": [[{"text": "Go", "callback_data": data}]]}


async def test_callback_data_is_1_to_64_bytes(api: Call, user) -> None:
    assert (await api("sendMessage", chat_id=user.id, text="k", reply_markup=_keyboard("x" * 64)))[
        0
    ] == 200
    for data in ("x" * 65, "é" * 33, ""):  # é is two bytes in UTF-8
        status, body = await api(
            "sendMessage", chat_id=user.id, text="k", reply_markup=_keyboard(data)
        )
        assert (status, body["description"]) == (400, "Bad Request: BUTTON_DATA_INVALID")
    assert (await api("sendMessage", chat_id=user.id, text="k", reply_markup=_keyboard("é" * 32)))[
        0
    ] == 200


async def test_nested_objects_are_validated(api: Call, user) -> None:
    bad_button = {"inline_keyboard": [[{"text": "Go", "callback_data": "x", "colour": "red"}]]}
    status, body = await api("sendMessage", chat_id=user.id, text="k", reply_markup=bad_button)
    assert status == 400 and 'unknown field "colour"' in body["description"]
    no_action = {"inline_keyboard": [[{"text": "Go"}]]}
    status, body = await api("sendMessage", chat_id=user.id, text="k", reply_markup=no_action)
    assert "Text buttons are unallowed" in body["description"]
    status, body = await api(
        "sendMessage", chat_id=user.id, text="k", reply_parameters={"chat_id": user.id}
    )
    assert status == 400 and "message_id" in body["description"]
    status, body = await api(
        "sendMessage", chat_id=user.id, text="k", link_preview_options={"is_disabled": "maybe"}
    )
    assert status == 400 and "Boolean" in body["description"]
    status, body = await api("sendMessage", chat_id=user.id, text="k", reply_markup="{not json")
    assert status == 400 and "JSON" in body["description"]


async def test_limits_come_from_the_spec() -> None:
    assert METHODS["sendmessage"].fields["text"].text_limit == (1, 4096, "characters")
    assert METHODS["sendpoll"].fields["options"].list_limit == (1, 12)
    assert METHODS["sendpoll"].fields["explanation"].max_line_feeds == 2
    limited = [f for m in METHODS.values() for f in m.fields.values() if f.text_limit is not None]
    assert len(limited) > 40


async def test_json_body_needs_real_json_types(api: Call, user) -> None:
    status, body = await api("sendMessage", as_json=True, chat_id=user.id, text=5)
    assert status == 400 and "String" in body["description"]
