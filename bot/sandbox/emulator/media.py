"""Bot API methods for files (documents, photos, media groups, downloads) and polls."""

from __future__ import annotations

import hashlib
import mimetypes
import re
import struct
from typing import Any

from aiohttp import web

from .errors import bad_request, invalid
from .html import HtmlParseError, parse_text
from .spec import TYPES, UploadedFile
from .state import StoredFile, StoredPoll

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


class MediaMixin:
    """sendDocument, sendPhoto, sendMediaGroup, getFile, file downloads, sendPoll, stopPoll."""

    # ------------------------------------------------------------------ files
    def store_file(
        self, data: bytes, file_name: str | None, mime_type: str | None, folder: str
    ) -> StoredFile:
        """Keep uploaded bytes and give them a file_id (also used by the driver)."""
        self._file_seq += 1
        seq = self._file_seq
        digest = hashlib.sha1(data, usedforsecurity=False).hexdigest()[:16]
        ext = ""
        if file_name and "." in file_name:
            ext = "." + file_name.rsplit(".", 1)[1]
        elif mime_type:
            ext = mimetypes.guess_extension(mime_type) or ""
        stored = StoredFile(
            file_id=f"BQACAgIAAxk{seq:08d}{digest}",
            file_unique_id=f"AgAD{digest[:12]}",
            data=data,
            file_name=file_name,
            mime_type=mime_type,
            file_path=f"{folder}/file_{seq}{ext}",
        )
        self.stored_files[stored.file_id] = stored
        self._files_by_path[stored.file_path] = stored
        return stored

    def _file_ref(self, value: Any, name: str, folder: str) -> StoredFile:
        if isinstance(value, UploadedFile):
            mime = value.content_type
            if mime == "application/octet-stream":
                mime = mimetypes.guess_type(value.filename)[0] or mime
            return self.store_file(value.data, value.filename, mime, folder)
        if value.startswith("attach://"):
            upload = self._attachments.get(value[len("attach://") :])
            if upload is None:
                raise invalid(f"{name}: attached file {value} not found in the request")
            return self._file_ref(upload, name, folder)
        if _URL.match(value):
            # The emulator never fetches from the Internet.
            raise bad_request("failed to get HTTP URL content")
        stored = self.stored_files.get(value)
        if stored is None:
            raise bad_request("wrong file identifier/HTTP URL specified")
        return stored

    @staticmethod
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

    @staticmethod
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

    def _caption(self, p: dict, parsed: dict, content: dict) -> None:
        if "caption" in p:
            caption, entities = self._text(p, parsed, "caption", "caption_entities")
            self._set(content, "caption", caption)
            self._set(content, "caption_entities", entities)

    def _api_sendDocument(self, p: dict, parsed: dict) -> dict:
        chat, thread, reply = self._prepare_send(p)
        f = self._file_ref(p["document"], "document", "documents")
        content: dict[str, Any] = {"document": self.document_object(f)}
        self._caption(p, parsed, content)
        self._flood_check(chat, p)
        return self._new_bot_message(chat, thread, reply, p, content)

    def _api_sendPhoto(self, p: dict, parsed: dict) -> dict:
        chat, thread, reply = self._prepare_send(p)
        f = self._file_ref(p["photo"], "photo", "photos")
        content: dict[str, Any] = {"photo": self.photo_sizes(f)}
        self._caption(p, parsed, content)
        self._flood_check(chat, p)
        return self._new_bot_message(chat, thread, reply, p, content)

    def _api_sendMediaGroup(self, p: dict, parsed: dict) -> list[dict]:
        chat, thread, reply = self._prepare_send(p)
        kinds = {m["type"] for m in p["media"]}
        if not kinds <= {"photo", "document"}:
            raise invalid("only photo and document media groups are supported by the emulator")
        if len(kinds) > 1:
            raise bad_request("documents can't be mixed with other media types")
        contents = []
        for item in p["media"]:
            folder = "photos" if item["type"] == "photo" else "documents"
            f = self._file_ref(item["media"], "media", folder)
            content: dict[str, Any] = (
                {"photo": self.photo_sizes(f)}
                if item["type"] == "photo"
                else {"document": self.document_object(f)}
            )
            if item.get("caption"):
                try:
                    caption, entities = parse_text(item["caption"], item.get("parse_mode"))
                except (HtmlParseError, ValueError) as exc:
                    raise invalid(f"can't parse entities: {exc}") from None
                content["caption"] = caption
                self._set(content, "caption_entities", entities)
            contents.append(content)
        for _ in contents:
            self._flood_check(chat, p)
        group_id = f"{13_000_000_000_000_000 + self._file_seq}"
        return [
            self._new_bot_message(chat, thread, reply, p, {**content, "media_group_id": group_id})
            for content in contents
        ]

    def _api_getFile(self, p: dict, parsed: dict) -> dict:
        f = self.stored_files.get(p["file_id"])
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

    async def _serve_file(self, rest: str) -> web.StreamResponse:
        token, _, file_path = rest.partition("/")
        if token != self.token:
            return self._error_response(401, "Unauthorized")
        f = self._files_by_path.get(file_path)
        if f is None:
            return self._error_response(404, "Not Found")
        return web.Response(body=f.data, content_type=f.mime_type or "application/octet-stream")

    # ------------------------------------------------------------------ polls
    def _api_sendPoll(self, p: dict, parsed: dict) -> dict:
        chat, thread, reply = self._prepare_send(p)
        kind = p.get("type", "regular")
        if kind not in ("regular", "quiz"):
            raise invalid("poll type is invalid")
        question, q_entities = self._text(p, parsed, "question", "question_entities")
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
        self._flood_check(chat, p)
        self._poll_seq += 1
        poll: dict[str, Any] = {
            "id": f"{5_000_000_000_000_000_000 + self._poll_seq}",
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
            explanation, e_entities = self._text(p, parsed, "explanation", "explanation_entities")
            poll["explanation"] = explanation
            if e_entities:
                poll["explanation_entities"] = e_entities
        for key in ("open_period", "close_date"):
            if key in p and key in _POLL_FIELDS:
                poll[key] = p[key]
        msg = self._new_bot_message(chat, thread, reply, p, {"poll": poll})
        self.polls[poll["id"]] = StoredPoll(poll, chat.id, msg["message_id"])
        return msg

    def _api_stopPoll(self, p: dict, parsed: dict) -> dict:
        chat = self._chat(p["chat_id"])
        stored = chat.messages.get(p["message_id"])
        if stored is None or "poll" not in stored.data:
            raise bad_request("message with poll to stop not found")
        if not stored.from_bot:
            raise bad_request("poll can't be stopped")
        poll = stored.data["poll"]
        if poll["is_closed"]:
            raise bad_request("poll has already been closed")
        poll["is_closed"] = True
        markup = p.get("reply_markup")
        new = dict(stored.data)
        self._set(new, "reply_markup", markup)
        stored.data = new
        self._notify_changed()
        return poll
