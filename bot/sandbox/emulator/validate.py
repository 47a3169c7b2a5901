"""Request and result validation against the compiled spec (see ``spec.py``)."""

from __future__ import annotations

import json
import re
from typing import Any

from .errors import ApiError, invalid
from .html import HtmlParseError, normalize_parse_mode, parse_html, utf16_len
from .spec import PRIMITIVES, TYPES, FieldSpec, MethodSpec, TypeSpec, UploadedFile, parse_kind

__all__ = ["validate_object", "validate_params", "validate_result"]

_INTEGER_STR = re.compile(r"-?\d{1,20}")
_FLOAT_STR = re.compile(r"-?\d+(?:\.\d+)?(?:[eE][-+]?\d+)?")
_TRUE = frozenset({"true", "1"})
_FALSE = frozenset({"false", "0"})

# Telegram's own error texts for the limits that bots hit most often; any other limit gets a
# descriptive generic text.  Keyed by (owner, field) -> (too short/empty, too long).
_LIMIT_TEXTS: dict[tuple[str, str], tuple[str, str]] = {
    ("sendMessage", "text"): ("message text is empty", "message is too long"),
    ("editMessageText", "text"): ("message text is empty", "message is too long"),
    ("InlineKeyboardButton", "callback_data"): ("BUTTON_DATA_INVALID", "BUTTON_DATA_INVALID"),
    ("sendPoll", "question"): (
        "poll question must be non-empty",
        "poll question length must not exceed {hi}",
    ),
    ("InputPollOption", "text"): (
        "poll options must be non-empty",
        "poll options length must not exceed {hi}",
    ),
    ("answerCallbackQuery", "text"): ("MESSAGE_TOO_LONG", "MESSAGE_TOO_LONG"),
    ("BotCommand", "command"): ("BOT_COMMAND_INVALID", "BOT_COMMAND_INVALID"),
    ("BotCommand", "description"): (
        "BOT_COMMAND_DESCRIPTION_INVALID",
        "BOT_COMMAND_DESCRIPTION_INVALID",
    ),
}
_CAPTION_TEXTS = ("message caption is empty", "message caption is too long")


class _Ctx:
    """Per-request validation state: whether values may be strings from a form."""

    __slots__ = ("form", "output", "parsed")

    def __init__(self, form: bool, output: bool = False) -> None:
        self.form = form
        self.output = output
        self.parsed: dict[str, tuple[str, list[dict]]] = {}


def _type_error(path: str, kinds: tuple[tuple[str, int], ...]) -> ApiError:
    names = " or ".join(("Array of " * d) + b for b, d in kinds)
    return invalid(f'field "{path}" must be of type {names}')


def _check_primitive(base: str, value: Any, path: str, ctx: _Ctx) -> Any:
    if base == "String":
        if isinstance(value, str):
            return value
    elif base == "Integer":
        if isinstance(value, int) and not isinstance(value, bool):
            return value
        if isinstance(value, str) and _INTEGER_STR.fullmatch(value):
            return int(value)
    elif base == "Boolean":
        if isinstance(value, bool):
            return value
        if isinstance(value, str):
            low = value.lower()
            if low in _TRUE:
                return True
            if low in _FALSE:
                return False
    elif base == "Float":
        if isinstance(value, (int, float)) and not isinstance(value, bool):
            return float(value)
        if isinstance(value, str) and _FLOAT_STR.fullmatch(value):
            return float(value)
    elif base == "InputFile" and isinstance(value, UploadedFile):
        return value
    raise _type_error(path, ((base, 0),))


def _decode_json(value: Any, path: str, ctx: _Ctx) -> Any:
    if isinstance(value, str) and ctx.form:
        try:
            return json.loads(value)
        except ValueError:
            raise invalid(f'can\'t parse "{path}" as JSON') from None
    return value


def _check_kind(kind: tuple[str, int], value: Any, path: str, ctx: _Ctx) -> Any:
    base, depth = kind
    if depth:
        value = _decode_json(value, path, ctx)
        if not isinstance(value, list):
            raise _type_error(path, (kind,))
        sub = (base, depth - 1)
        inner = _Ctx(False, ctx.output)
        return [_check_kind(sub, v, f"{path}[{i}]", inner) for i, v in enumerate(value)]
    if base in PRIMITIVES:
        return _check_primitive(base, value, path, ctx)
    value = _decode_json(value, path, ctx)
    return _check_object(base, value, path, ctx.output)


def _candidates(tname: str) -> list[str]:
    t = TYPES[tname]
    if not t.subtypes:
        return [tname]
    out: list[str] = []
    for s in t.subtypes:
        out.extend(_candidates(s) if s in TYPES else [s])
    return out


def _shape_score(t: TypeSpec, obj: dict) -> int:
    """How well ``obj``'s keys fit type ``t``: 2 = exact shape, lower = worse."""
    if t.discriminator is not None:
        key, const = t.discriminator
        if obj.get(key) != const:
            return -1
    known = all(k in t.fields for k in obj)
    has_required = all(k in obj for k in t.required)
    return int(known) + int(has_required)


def _check_object(tname: str, value: Any, path: str, output: bool = False) -> Any:
    cands = _candidates(tname)
    if len(cands) == 1:
        return _check_fields(TYPES[cands[0]], value, path, output)
    return _check_union([(c, 0) for c in cands], value, path, _Ctx(False, output))


def _check_union(kinds: list[tuple[str, int]], value: Any, path: str, ctx: _Ctx) -> Any:
    """Validate against the best-fitting alternative of a union and report its error."""
    objects = [k for k in kinds if k[1] == 0 and k[0] in TYPES and k[0] not in PRIMITIVES]
    others = [k for k in kinds if k not in objects]
    first_error: ApiError | None = None
    for kind in others:
        try:
            return _check_kind(kind, value, path, ctx)
        except ApiError as exc:
            first_error = first_error or exc
    if objects:
        value = _decode_json(value, path, ctx)
        if isinstance(value, dict):
            expanded = [c for k in objects for c in _candidates(k[0])]
            scored = sorted(
                ((_shape_score(TYPES[c], value), c) for c in expanded if c in TYPES),
                key=lambda sc: -sc[0],
            )
            if scored and scored[0][0] >= 0:
                return _check_fields(TYPES[scored[0][1]], value, path, ctx.output)
        first_error = first_error or _type_error(path, tuple(kinds))
    raise first_error or _type_error(path, tuple(kinds))


def _check_fields(t: TypeSpec, value: Any, path: str, output: bool) -> dict:
    if not isinstance(value, dict):
        raise invalid(f'field "{path}" must be a JSON object of type {t.name}')
    for key in value:
        if key not in t.fields:
            raise invalid(f'unknown field "{key}" in {t.name} at "{path}"')
    for key in t.required:
        if key not in value:
            raise invalid(f'field "{path}.{key}" of {t.name} is required')
    if t.discriminator is not None and value.get(t.discriminator[0]) != t.discriminator[1]:
        raise invalid(f'field "{path}.{t.discriminator[0]}" must be "{t.discriminator[1]}"')
    ctx = _Ctx(False, output)
    out = {
        name: _check_value(t.fields[name], v, f"{path}.{name}", ctx, value)
        for name, v in value.items()
    }
    if t.exactly_one_except is not None and not output:
        used = [k for k in out if k not in t.exactly_one_except]
        if not used and t.name == "InlineKeyboardButton":
            raise invalid(
                "can't parse inline keyboard button: Text buttons are unallowed in "
                "the inline keyboard"
            )
        if len(used) != 1:
            raise invalid(
                f'can\'t parse {t.name} at "{path}": exactly one of the optional '
                f"fields must be used, got {len(used)}"
            )
    return out


def _check_value(f: FieldSpec, value: Any, path: str, ctx: _Ctx, siblings: dict) -> Any:
    if isinstance(value, UploadedFile) and ("InputFile", 0) not in f.kinds:
        raise invalid(f'field "{path}" can\'t be a file upload')
    if len(f.kinds) == 1:
        out = _check_kind(f.kinds[0], value, path, ctx)
    else:
        out = _check_union(list(f.kinds), value, path, ctx)
    if f.text_limit is not None and isinstance(out, str):
        _check_text(f, out, path, ctx, siblings)
    elif f.list_limit is not None and isinstance(out, list):
        lo, hi = f.list_limit
        if not lo <= len(out) <= hi:
            raise invalid(f'field "{path}" must contain {lo}-{hi} items, got {len(out)}')
    elif f.int_range is not None and isinstance(out, int) and not ctx.output:
        lo, hi = f.int_range
        if not lo <= out <= hi:
            raise invalid(f'field "{path}" must be between {lo} and {hi}, got {out}')
    return out


def _check_text(f: FieldSpec, text: str, path: str, ctx: _Ctx, siblings: dict) -> None:
    lo, hi, unit = f.text_limit  # type: ignore[misc]
    plain = text
    mode = siblings.get(f.parse_mode_field) if f.parse_mode_field else None
    has_entities = f.entities_field is not None and f.entities_field in siblings
    if isinstance(mode, str) and mode and not ctx.output:
        canonical = normalize_parse_mode(mode)
        if canonical is None:
            raise invalid("unsupported parse_mode")
        if canonical == "HTML" and not has_entities:
            try:
                plain, entities = parse_html(text)
            except HtmlParseError as exc:
                raise invalid(f"can't parse entities: {exc}") from None
            ctx.parsed[path] = (plain, entities)
    size = len(plain.encode("utf-8")) if unit == "bytes" else utf16_len(plain)
    short, long = _LIMIT_TEXTS.get((f.owner, f.name), (None, None))
    if short is None and f.name == "caption":
        short, long = _CAPTION_TEXTS
    if size < lo or (lo > 0 and unit == "characters" and not plain.strip()):
        raise invalid(short or f'field "{path}" must be {lo}-{hi} {unit}, got {size}')
    if size > hi:
        raise invalid(
            long.format(hi=hi) if long else f'field "{path}" must be {lo}-{hi} {unit}, got {size}'
        )
    if f.max_line_feeds is not None and plain.count("\n") > f.max_line_feeds:
        raise invalid(f'field "{path}" can contain at most {f.max_line_feeds} line feeds')


def validate_params(
    method: MethodSpec, params: dict[str, Any], *, form: bool
) -> tuple[dict[str, Any], dict[str, tuple[str, list[dict]]]]:
    """Validate request parameters; return (typed params, {field: (plain, entities)})."""
    fields = method.fields
    for name in params:
        if name not in fields:
            raise invalid(f"unknown parameter {name}")
    for name in method.required:
        if name not in params:
            if name == "text":
                raise invalid("message text is empty")
            raise invalid(
                f"{name} is empty" if name == "chat_id" else f"parameter {name} is required"
            )
    ctx = _Ctx(form)
    out = {name: _check_value(fields[name], v, name, ctx, params) for name, v in params.items()}
    return out, ctx.parsed


def validate_object(type_name: str, value: Any, path: str = "result") -> None:
    """Check a response object against the spec (required fields, no unknown fields, types)."""
    try:
        _check_object(type_name, value, path, output=True)
    except ApiError as exc:
        raise AssertionError(exc.description) from None


def validate_result(returns: tuple[str, ...], value: Any) -> None:
    """Check a method result against the method's declared return types."""
    errors = []
    for ret in returns:
        base, depth = parse_kind(ret)
        try:
            _check_kind((base, depth), value, "result", _Ctx(False, True))
            return
        except ApiError as exc:
            errors.append(exc.description)
    raise AssertionError("; ".join(errors))
