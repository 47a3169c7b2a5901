"""Reading py-spy's raw (folded) profiles: where the bot process spends its CPU."""

from __future__ import annotations

import re
from collections import Counter
from pathlib import Path
from typing import Any

_FRAME = re.compile(r"^(?P<func>.*) \((?P<file>[^()]*?)(?::(?P<line>\d+))?\)$")

# Innermost-frame file prefixes → the layer that frame belongs to (first match wins).
LAYERS: tuple[tuple[str, tuple[str, ...]], ...] = (
    ("HTTP client (httpx, httpcore, anyio, h11)", ("httpx/", "httpcore/", "anyio/", "h11/")),
    ("python-telegram-bot", ("telegram/",)),
    ("SQLite thread (aiosqlite, sqlite3)", ("aiosqlite/", "sqlite3/")),
    ("Sinau code (bot/)", ("bot/",)),
    ("asyncio event loop, sockets", ("asyncio/", "selectors", "socket", "ssl")),
    ("APScheduler, pydantic, others", ("apscheduler/", "pydantic", "tzlocal/", "zoneinfo/")),
)


def _parse(frame: str) -> tuple[str, str]:
    match = _FRAME.match(frame.strip())
    if match is None:
        return frame.strip(), ""
    return match["func"], match["file"]


def layer_of(file: str) -> str:
    """The layer a source file belongs to."""
    for name, prefixes in LAYERS:
        if any(file.startswith(p) or f"/{p}" in file for p in prefixes):
            return name
    return "other (stdlib, json, logging, ...)"


def summarise(path: Path, *, top: int = 15) -> dict[str, Any]:
    """Shares of CPU samples by layer, the hottest functions, and Sinau's own hot spots."""
    layers: Counter[str] = Counter()
    own: Counter[str] = Counter()
    inclusive_bot: Counter[str] = Counter()
    total = 0
    for line in path.read_text(encoding="utf-8", errors="replace").splitlines():
        stack, _, count = line.rpartition(" ")
        if not stack or not count.isdigit():
            continue
        n = int(count)
        total += n
        frames = [f for f in stack.split(";") if f.strip()]
        if not frames:
            continue
        func, file = _parse(frames[-1])
        layers[layer_of(file)] += n
        own[f"{func} ({file})"] += n
        seen = set()
        for frame in frames:
            f_func, f_file = _parse(frame)
            if f_file.startswith("bot/") or "/bot/" in f_file:
                key = f"{f_func} ({f_file.split(':')[0]})"
                if key not in seen:
                    seen.add(key)
                    inclusive_bot[key] += n
    if total == 0:
        return {"samples": 0, "layers": {}, "self": [], "sinau_inclusive": []}

    def share(n: int) -> float:
        return round(100.0 * n / total, 1)

    return {
        "samples": total,
        "layers": {name: share(n) for name, n in layers.most_common()},
        "self": [(name, share(n)) for name, n in own.most_common(top)],
        "sinau_inclusive": [(name, share(n)) for name, n in inclusive_bot.most_common(top)],
    }
