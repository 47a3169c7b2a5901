"""What every benchmark shares: statistics, the bot as a child process, results on disk."""

from __future__ import annotations

import asyncio
import contextlib
import json
import logging
import os
import signal
import statistics
import subprocess
import sys
import time
from collections.abc import Iterable, Sequence
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any

ROOT = Path(__file__).resolve().parent.parent
OUT = ROOT / "bench" / "out"
RESULTS = ROOT / "bench" / "results"
TOKEN = "123456789:AAH-bench-token-for-sinau-0000000000"


def percentile(values: Sequence[float], q: float) -> float:
    """The q-th percentile (0-100) by linear interpolation between closest ranks."""
    if not values:
        return float("nan")
    ordered = sorted(values)
    if len(ordered) == 1:
        return ordered[0]
    rank = (len(ordered) - 1) * q / 100.0
    low = int(rank)
    high = min(low + 1, len(ordered) - 1)
    return ordered[low] + (ordered[high] - ordered[low]) * (rank - low)


@dataclass
class Figure:
    """One reported figure: the value of each run, its unit, and the goal it is held against."""

    name: str
    unit: str
    runs: list[float]
    goal: str = ""
    met: bool | None = None
    how: str = ""

    @property
    def median(self) -> float:
        """The median of the runs."""
        return statistics.median(self.runs) if self.runs else float("nan")

    def to_json(self) -> dict[str, Any]:
        """A plain dict for the results file."""
        return {
            "name": self.name, "unit": self.unit, "runs": self.runs, "median": self.median,
            "min": min(self.runs) if self.runs else None,
            "max": max(self.runs) if self.runs else None,
            "goal": self.goal, "met": self.met, "how": self.how,
        }


@dataclass
class Report:
    """A benchmark's output: figures, free-form notes and tables, written as JSON."""

    name: str
    title: str
    method: str
    figures: list[Figure] = field(default_factory=list)
    notes: list[str] = field(default_factory=list)
    extra: dict[str, Any] = field(default_factory=dict)

    def add(self, figure: Figure) -> Figure:
        """Append a figure and return it."""
        self.figures.append(figure)
        return figure

    def save(self) -> Path:
        """Write bench/results/<name>.json."""
        RESULTS.mkdir(parents=True, exist_ok=True)
        path = RESULTS / f"{self.name}.json"
        data = {
            "name": self.name, "title": self.title, "method": self.method,
            "figures": [f.to_json() for f in self.figures], "notes": self.notes,
            "extra": self.extra,
        }
        path.write_text(json.dumps(data, indent=2, ensure_ascii=False) + "\n", encoding="utf-8")
        return path


def bot_env(api_url: str, db_path: Path, **settings: str) -> dict[str, str]:
    """The environment of a bot child process: token, API root, database, extra settings."""
    env = {k: v for k, v in os.environ.items() if not k.startswith("SINAU_")}
    env.update(
        SINAU_TELEGRAM__TOKEN=TOKEN,
        SINAU_TELEGRAM__API_URL=api_url,
        SINAU_DATABASE__PATH=str(db_path),
        PYTHONUNBUFFERED="1",
        PYTHONPATH=str(ROOT),  # bench.echo_bot from a fresh clone without installing bench
        SINAU_DELIVERY__QUIET_HOURS="",  # a benchmark runs at any hour of the host's day
    )
    for key, value in settings.items():
        env[f"SINAU_{key.upper()}"] = value
    return env


@dataclass
class Child:
    """A bot process started by a benchmark."""

    proc: subprocess.Popen[bytes]
    started: float
    log: Path

    @property
    def pid(self) -> int:
        """The process id."""
        return self.proc.pid

    def cpu_seconds(self) -> float:
        """User plus system CPU time used so far (from /proc)."""
        fields = Path(f"/proc/{self.pid}/stat").read_text().rsplit(")", 1)[1].split()
        ticks = os.sysconf("SC_CLK_TCK")
        return (int(fields[11]) + int(fields[12])) / ticks

    def rss_mb(self) -> float:
        """Resident memory (VmRSS) in MiB."""
        for line in Path(f"/proc/{self.pid}/status").read_text().splitlines():
            if line.startswith("VmRSS:"):
                return int(line.split()[1]) / 1024
        return float("nan")

    async def stop(self, timeout: float = 20.0) -> int:  # noqa: ASYNC109
        """SIGTERM, wait, then SIGKILL if it did not stop; the exit code."""
        if self.proc.poll() is None:
            self.proc.send_signal(signal.SIGTERM)
            deadline = time.monotonic() + timeout
            # A child process has no awaitable exit here; poll it.
            while self.proc.poll() is None and time.monotonic() < deadline:  # noqa: ASYNC110
                await asyncio.sleep(0.05)
            if self.proc.poll() is None:
                self.proc.kill()
        return self.proc.wait()

    def tail(self, lines: int = 20) -> str:
        """The end of the child's log, for error messages."""
        with contextlib.suppress(OSError):
            return "\n".join(self.log.read_text(errors="replace").splitlines()[-lines:])
        return ""


def fresh_db(workdir: Path) -> Path:
    """An empty database path in ``workdir`` (files of an earlier run removed)."""
    workdir.mkdir(parents=True, exist_ok=True)
    db = workdir / "sinau.db"
    for suffix in ("", "-wal", "-shm"):
        Path(f"{db}{suffix}").unlink(missing_ok=True)
    return db


def spawn(args: Sequence[str], env: dict[str, str], log: Path) -> Child:
    """Start ``python args...`` with its output in ``log``.

    The working directory is bench/out, where no config.toml lives, so a developer's own
    config cannot change a measurement; the environment carries every setting.
    """
    log.parent.mkdir(parents=True, exist_ok=True)
    handle = log.open("wb")
    started = time.perf_counter()
    proc = subprocess.Popen(  # noqa: S603 - our own interpreter and module
        [sys.executable, *args], env=env, stdout=handle, stderr=subprocess.STDOUT, cwd=OUT,
    )
    handle.close()
    return Child(proc, started, log)


async def wait_for_polling(emu: Any, child: Child, timeout: float = 60.0) -> float:  # noqa: ASYNC109
    """Wait for the child's first getUpdates; return the seconds from exec to it."""
    deadline = time.monotonic() + timeout
    while emu.get_updates_count == 0:
        if child.proc.poll() is not None:
            raise RuntimeError(f"the bot exited with {child.proc.returncode}:\n{child.tail()}")
        if time.monotonic() > deadline:
            raise TimeoutError(f"the bot did not poll within {timeout} s:\n{child.tail()}")
        await asyncio.sleep(0.005)
    return time.perf_counter() - child.started


def quiet_emulator() -> None:
    """Keep the emulator's log quiet: a benchmark checks its violations and internal errors
    itself, and a long poll cut by a bot's shutdown is logged as a failure but is none."""
    logging.getLogger("bot.sandbox.emulator").setLevel(logging.CRITICAL)


def fmt(value: float, digits: int = 1) -> str:
    """A number for the report: thousands separators, ``digits`` decimals."""
    if value != value:  # NaN
        return "—"
    return f"{value:,.{digits}f}"


def spread(values: Iterable[float], digits: int = 1) -> str:
    """'min–max' of the runs."""
    values = list(values)
    if not values:
        return "—"
    return f"{fmt(min(values), digits)}–{fmt(max(values), digits)}"
