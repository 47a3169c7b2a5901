"""Bot API methods for files (documents, photos, media groups, getFile) and polls."""

from __future__ import annotations

import mimetypes
import re
import struct
from typing import Any

from .errors import bad_request, invalid
from .html import HtmlParseError, parse_text
from .sending import flood_check, new_bot_message, prepare_send, set_field, text_field
from .spec import TYPES, UploadedFile
from .state import StoredFile, StoredPoll
from .world import EmulatorState, Handler, Params, Parsed

__all__ = ["HANDLERS", "MAX_DOWNLOAD", "document_object", "image_size", "photo_sizes"]

MAX_DOWNLOAD = 20 * 1024 * 1024  # getFile refuses bigger files, like Telegram
_URL = re.compile(r"https?://", re.IGNORECASE)
_REVOTE_DEFAULT = {"quiz": False, "regular": True}
_POLL_FIELDS = frozenset(TYPES["Poll"].fields)


def image_size(data: bytes) -> tuple[int, int] | None:
    """Width and height of a PNG or JPEG image, or None when it is neither."""
    if data[:8] == b"\x89PNG\r\n\x1a\n" and len(data) >= 24:
        width, height = struct.unpack(">II", data[16:24])
        return width, height
    if data[:2] == b"\xff\xd8":
        i = 2
        while i + 9 < len(data):
            if data[i] != 0xFF:
                return None
            marker = data[i + 1]
            length = struct.unpack(">H", data[i + 2 : i + 4])[0]
            if marker in (0xC0, 0xC1, 0xC2):
                height, width = struct.unpack(">HH", data[i + 5 : i + 9])
                return width, height
            i += 2 + length
    return None


def document_object(f: StoredFile) -> dict[str, Any]:
    """The Document object for a stored file."""
    out: dict[str, Any] = {
        "file_id": f.file_id,
        "file_unique_id": f.file_unique_id,
        "file_size": len(f.data),
    }
    if f.file_name:
        out["file_name"] = f.file_name
    if f.mime_type:
        out["mime_type"] = f.mime_type
    return out


def photo_sizes(f: StoredFile) -> list[dict[str, Any]]:
    """The PhotoSize list for a stored image; raises if the bytes are not an image."""
    size = image_size(f.data)
    if size is None:
        raise bad_request("IMAGE_PROCESS_FAILED")
    width, height = size
    if width + height > 10000 or max(width, height) > 20 * max(1, min(width, height)):
        raise bad_request("PHOTO_INVALID_DIMENSIONS")
    return [
        {
            "file_id": f.file_id,
            "file_unique_id": f.file_unique_id,
            "file_size": len(f.data),
            "width": width,
            "height": height,
        }
    ]


# ---------------------------------------------------------------------- files
def _file_ref(s: EmulatorState, value: Any, name: str, folder: str) -> StoredFile:
    """The file a parameter gives: an upload, attach://name, or a known file_id."""
    if isinstance(value, UploadedFile):
        mime = value.content_type
        if mime == "application/octet-stream":
            mime = mimetypes.guess_type(value.filename)[0] or mime
        return s.store_file(value.data, value.filename, mime, folder)
    if value.startswith("attach://"):
        upload = s.attachments.get(value[len("attach://") :])
        if upload is None:
            raise invalid(f"{name}: attached file {value} not found in the request")
        return _file_ref(s, upload, name, folder)
    if _URL.match(value):
        # The emulator never fetches from the Internet.
        raise bad_request("failed to get HTTP URL content")
    stored = s.stored_files.get(value)
    if stored is None:
        raise bad_request("wrong file identifier/HTTP URL specified")
    return stored


def _caption(p: Params, parsed: Parsed, content: dict[str, Any]) -> None:
    if "caption" in p:
        caption, entities = text_field(p, parsed, "caption", "caption_entities")
        set_field(content, "caption", caption)
        set_field(content, "caption_entities", entities)


def send_document(s: EmulatorState, p: Params, parsed: Parsed) -> dict[str, Any]:
    """sendDocument."""
    chat, topic, reply = prepare_send(s, p)
    f = _file_ref(s, p["document"], "document", "documents")
    content: dict[str, Any] = {"document": document_object(f)}
    _caption(p, parsed, content)
    flood_check(s, chat, p)
    return new_bot_message(s, chat, topic, reply, p, content)


def send_photo(s: EmulatorState, p: Params, parsed: Parsed) -> dict[str, Any]:
    """sendPhoto."""
    chat, topic, reply = prepare_send(s, p)
    f = _file_ref(s, p["photo"], "photo", "photos")
    content: dict[str, Any] = {"photo": photo_sizes(f)}
    _caption(p, parsed, content)
    flood_check(s, chat, p)
    return new_bot_message(s, chat, topic, reply, p, content)


def send_media_group(s: EmulatorState, p: Params, parsed: Parsed) -> list[dict[str, Any]]:
    """sendMediaGroup (photos or documents)."""
    chat, topic, reply = prepare_send(s, p)
    kinds = {m["type"] for m in p["media"]}
    if not kinds <= {"photo", "document"}:
        raise invalid("only photo and document media groups are supported by the emulator")
    if len(kinds) > 1:
        raise bad_request("documents can't be mixed with other media types")
    contents = []
    for item in p["media"]:
        folder = "photos" if item["type"] == "photo" else "documents"
        f = _file_ref(s, item["media"], "media", folder)
        content: dict[str, Any] = (
            {"photo": photo_sizes(f)}
            if item["type"] == "photo"
            else {"document": document_object(f)}
        )
        if item.get("caption"):
            try:
                caption, entities = parse_text(item["caption"], item.get("parse_mode"))
            except (HtmlParseError, ValueError) as exc:
                raise invalid(f"can't parse entities: {exc}") from None
            content["caption"] = caption
            set_field(content, "caption_entities", entities)
        contents.append(content)
    for _ in contents:
        flood_check(s, chat, p)
    group_id = f"{13_000_000_000_000_000 + s.file_seq}"
    return [
        new_bot_message(s, chat, topic, reply, p, {**content, "media_group_id": group_id})
        for content in contents
    ]


def get_file(s: EmulatorState, p: Params, parsed: Parsed) -> dict[str, Any]:
    """getFile: the file_path to download the file from (``/file/bot<token>/<path>``)."""
    f = s.stored_files.get(p["file_id"])
    if f is None:
        raise bad_request("invalid file_id")
    if len(f.data) > MAX_DOWNLOAD:
        raise bad_request("file is too big")
    return {
        "file_id": f.file_id,
        "file_unique_id": f.file_unique_id,
        "file_size": len(f.data),
        "file_path": f.file_path,
    }


# ---------------------------------------------------------------------- polls
def send_poll(s: EmulatorState, p: Params, parsed: Parsed) -> dict[str, Any]:
    """sendPoll (regular polls and quizzes)."""
    chat, topic, reply = prepare_send(s, p)
    kind = p.get("type", "regular")
    if kind not in ("regular", "quiz"):
        raise invalid("poll type is invalid")
    question, q_entities = text_field(p, parsed, "question", "question_entities")
    options = []
    for i, opt in enumerate(p["options"]):
        try:
            text, entities = parse_text(opt["text"], opt.get("text_parse_mode"))
        except (HtmlParseError, ValueError) as exc:
            raise invalid(f"can't parse entities in option {i}: {exc}") from None
        if not text.strip():
            raise invalid("poll options must be non-empty")
        option: dict[str, Any] = {
            "persistent_id": f"opt{i}",
            "text": text,
            "voter_count": 0,
        }
        if entities or opt.get("text_entities"):
            option["text_entities"] = entities or opt["text_entities"]
        options.append(option)
    if len({o["text"] for o in options}) != len(options):
        raise invalid("poll options must be different")
    multiple = bool(p.get("allows_multiple_answers", False))
    correct = p.get("correct_option_ids")
    if kind == "quiz":
        if not correct:
            raise invalid("correct_option_ids must be specified for quiz polls")
        if any(c < 0 or c >= len(options) for c in correct):
            raise invalid("wrong correct option id")
        if list(correct) != sorted(set(correct)):
            raise invalid("correct option ids must be monotonically increasing")
        if len(correct) > 1 and not multiple:
            raise invalid("a quiz allowing a single answer must have one correct option")
    elif correct is not None:
        raise invalid("correct option ids can be specified only for quiz polls")
    if "explanation" in p and kind != "quiz":
        raise invalid("explanation can be specified only for quiz polls")
    if "open_period" in p and "close_date" in p:
        raise invalid("open_period and close_date can't be used together")
    flood_check(s, chat, p)
    s.poll_seq += 1
    poll: dict[str, Any] = {
        "id": f"{5_000_000_000_000_000_000 + s.poll_seq}",
        "question": question,
        "options": options,
        "total_voter_count": 0,
        "is_closed": bool(p.get("is_closed", False)),
        "is_anonymous": bool(p.get("is_anonymous", True)),
        "type": kind,
        "allows_multiple_answers": multiple,
        "allows_revoting": bool(p.get("allows_revoting", _REVOTE_DEFAULT[kind])),
        "members_only": bool(p.get("members_only", False)),
    }
    if q_entities:
        poll["question_entities"] = q_entities
    if correct:
        poll["correct_option_ids"] = list(correct)
    if "explanation" in p:
        explanation, e_entities = text_field(p, parsed, "explanation", "explanation_entities")
        poll["explanation"] = explanation
        if e_entities:
            poll["explanation_entities"] = e_entities
    for key in ("open_period", "close_date"):
        if key in p and key in _POLL_FIELDS:
            poll[key] = p[key]
    msg = new_bot_message(s, chat, topic, reply, p, {"poll": poll})
    s.polls[poll["id"]] = StoredPoll(poll, chat.id, msg["message_id"])
    return msg


def stop_poll(s: EmulatorState, p: Params, parsed: Parsed) -> dict[str, Any]:
    """stopPoll."""
    chat = s.api_chat(p["chat_id"])
    stored = chat.messages.get(p["message_id"])
    if stored is None or "poll" not in stored.data:
        raise bad_request("message with poll to stop not found")
    if not stored.from_bot:
        raise bad_request("poll can't be stopped")
    poll: dict[str, Any] = stored.data["poll"]
    if poll["is_closed"]:
        raise bad_request("poll has already been closed")
    poll["is_closed"] = True
    markup = p.get("reply_markup")
    new = dict(stored.data)
    set_field(new, "reply_markup", markup)
    stored.data = new
    s.notify_changed()
    return poll


HANDLERS: dict[str, Handler] = {
    "sendDocument": send_document,
    "sendPhoto": send_photo,
    "sendMediaGroup": send_media_group,
    "getFile": get_file,
    "sendPoll": send_poll,
    "stopPoll": stop_poll,
}
