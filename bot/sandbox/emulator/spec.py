"""The Bot API spec compiled once from the bundled Bot API spec (``bot/sandbox/spec/api.json``).

Every limit is read from the spec's own text (``1-4096 characters``, ``1-64 bytes``,
``list of 1-12``, ``at most 2 line feeds``...) rather than retyped here.
"""

from __future__ import annotations

import json
import re
from dataclasses import dataclass, field
from importlib import resources

__all__ = [
    "METHODS",
    "PRIMITIVES",
    "SPEC_VERSION",
    "TYPES",
    "UPDATE_KINDS",
    "FieldSpec",
    "MethodSpec",
    "TypeSpec",
    "UploadedFile",
    "parse_kind",
]

PRIMITIVES = frozenset({"Integer", "String", "Boolean", "Float", "InputFile"})
_TEXT_LIMIT = re.compile(r"(\d+)-(\d+) (characters|bytes)")
_LINE_FEEDS = re.compile(r"at most (\d+) line feeds")
_LIST_RANGE = re.compile(
    r"(?:list of|must include|List of) (\d+)-(\d+)\b(?! (?:characters|bytes))"
)
_LIST_MAX = re.compile(r"(?:[Aa]t most|up to) (\d+) (?!characters|bytes|sizes)\w+")
_INT_RANGE = re.compile(r"(?:^|, |Values between )(\d+)-(\d+)(?: are accepted)?$")
_DISCRIMINATOR = re.compile(r"(?:always|must be) \"?([a-z_]+)\"?$")
_EXACTLY_ONE_EXCEPT = re.compile(r"Exactly one of the fields other than ([\w, ]+?) must be used")


@dataclass(slots=True, frozen=True)
class UploadedFile:
    """A file part received in a multipart/form-data request."""

    filename: str
    content_type: str
    data: bytes


@dataclass(slots=True)
class FieldSpec:
    """One compiled field of a method or type, with limits parsed from its description."""

    name: str
    owner: str
    kinds: tuple[tuple[str, int], ...]  # (base type, array depth)
    required: bool
    text_limit: tuple[int, int, str] | None = None
    max_line_feeds: int | None = None
    parse_mode_field: str | None = None
    entities_field: str | None = None
    list_limit: tuple[int, int] | None = None
    int_range: tuple[int, int] | None = None
    description: str = ""


@dataclass(slots=True)
class TypeSpec:
    """A compiled object type (or union of subtypes)."""

    name: str
    fields: dict[str, FieldSpec] = field(default_factory=dict)
    required: tuple[str, ...] = ()
    subtypes: tuple[str, ...] = ()
    discriminator: tuple[str, str] | None = None  # (field name, constant)
    exactly_one_except: frozenset[str] | None = None


@dataclass(slots=True)
class MethodSpec:
    """A compiled method: its fields and return types."""

    name: str
    fields: dict[str, FieldSpec]
    required: tuple[str, ...]
    returns: tuple[str, ...]


def parse_kind(text: str) -> tuple[str, int]:
    """Split "Array of Array of X" into ("X", 2)."""
    depth = 0
    while text.startswith("Array of "):
        text = text[len("Array of ") :]
        depth += 1
    return text, depth


def _compile_field(owner: str, raw: dict, names: set[str]) -> FieldSpec:
    desc = raw["description"]
    kinds = tuple(parse_kind(t) for t in raw["types"])
    spec = FieldSpec(raw["name"], owner, kinds, bool(raw["required"]), description=desc)
    is_string = ("String", 0) in kinds
    if is_string and (m := _TEXT_LIMIT.search(desc)):
        spec.text_limit = (int(m.group(1)), int(m.group(2)), m.group(3))
        if lf := _LINE_FEEDS.search(desc):
            spec.max_line_feeds = int(lf.group(1))
    if is_string:
        # Fields measured "after entities parsing" have a companion parse-mode field.
        own_mode = f"{spec.name}_parse_mode"
        if own_mode in names:
            spec.parse_mode_field = own_mode
        elif spec.name in ("text", "caption") and "parse_mode" in names:
            spec.parse_mode_field = "parse_mode"
        if spec.parse_mode_field:
            ent = "entities" if spec.name == "text" else f"{spec.name}_entities"
            spec.entities_field = ent if ent in names else None
    if any(depth for _, depth in kinds):
        if m := _LIST_RANGE.search(desc):
            spec.list_limit = (int(m.group(1)), int(m.group(2)))
        elif m := _LIST_MAX.search(desc):
            spec.list_limit = (0, int(m.group(1)))
    if kinds == (("Integer", 0),):
        for clause in re.split(r"[.;]", desc):
            if m := _INT_RANGE.search(clause.strip()):
                spec.int_range = (int(m.group(1)), int(m.group(2)))
                break
    return spec


def _compile(raw: dict) -> tuple[dict[str, MethodSpec], dict[str, TypeSpec]]:
    types: dict[str, TypeSpec] = {}
    for name, obj in raw["types"].items():
        raw_fields = obj.get("fields", [])
        names = {f["name"] for f in raw_fields}
        t = TypeSpec(name)
        t.fields = {f["name"]: _compile_field(name, f, names) for f in raw_fields}
        t.required = tuple(f["name"] for f in raw_fields if f["required"])
        t.subtypes = tuple(obj.get("subtypes", ()))
        first = raw_fields[0] if raw_fields else None
        if first and first["name"] in ("type", "status", "source"):
            m = _DISCRIMINATOR.search(first["description"])
            if m:
                t.discriminator = (first["name"], m.group(1))
        m = _EXACTLY_ONE_EXCEPT.search(" ".join(obj.get("description", [])))
        if m:
            t.exactly_one_except = frozenset(
                p.strip() for p in re.split(r",|\band\b", m.group(1)) if p.strip()
            )
        types[name] = t
    methods: dict[str, MethodSpec] = {}
    for name, obj in raw["methods"].items():
        raw_fields = obj.get("fields", [])
        names = {f["name"] for f in raw_fields}
        fields = {f["name"]: _compile_field(name, f, names) for f in raw_fields}
        required = tuple(f["name"] for f in raw_fields if f["required"])
        methods[name.lower()] = MethodSpec(name, fields, required, tuple(obj["returns"]))
    return methods, types


def _load() -> dict:
    ref = resources.files("bot.sandbox").joinpath("spec/api.json")
    return json.loads(ref.read_text(encoding="utf-8"))


_RAW = _load()
SPEC_VERSION: str = _RAW["version"]
METHODS, TYPES = _compile(_RAW)
#: Every update kind the spec knows (fields of Update except update_id).
UPDATE_KINDS: tuple[str, ...] = tuple(n for n in TYPES["Update"].fields if n != "update_id")
del _RAW
