"""Write bench/RESULTS.md from the JSON files the benchmarks leave in bench/results/."""

from __future__ import annotations

import json
import os
import platform
import statistics
import subprocess
from datetime import UTC, datetime
from pathlib import Path
from typing import Any

from bench.common import RESULTS, ROOT, fmt

TARGET = ROOT / "bench" / "RESULTS.md"
ORDER = ("interactive", "broadcast", "broadcast_ceiling", "scale", "postgresql", "siasn",
         "nudges")

# What was changed in the bot because of these benchmarks (kept with the report it explains).
CHANGES = """\
- **One unit of work per learner action, three round trips per step.** Repositories join an
  ambient transaction (`async with db.transaction()`); writes nobody needs an answer from wait
  and go with the COMMIT, in one hop to SQLite's thread. A lesson session is recorded after its
  card is shown, by the message that shows it, so `/learn`, a card turn and a quiz answer each
  make 3 round trips (who wrote, one read, one write), asserted by
  tests/e2e/test_round_trips.py; before, a `/learn` made 10.
- **Sinau's own HTTP client.** The largest share of the bot's CPU was python-telegram-bot's
  HTTPX client (about 20 % of the samples, plus an import attempt of `sniffio` on every
  request). bot/transport.py puts aiohttp behind PTB's `BaseRequest`: PTB's `send_message`
  over it makes about 2,000 round trips/s against 750 over HTTPX (bench/emulator_roundtrip.py,
  one process). With both changes Sinau handles more updates per second than the echo bot;
  the control below runs the echo bot on the same client, to show what is the client and
  what is the rest.
- **Stale reads under load (a correctness bug the interactive benchmark found).** Reads ran as
  three calls on the shared reader connection (execute, fetch, close); with concurrent handlers
  some statement was always open, so the reader's snapshot stayed open too and a handler did not
  see the write it had just committed: at 200 learners a few learners got their first quiz
  question again after "next question", and their answer was refused as stale. `fetch_all` and
  `fetch_one` now run each query to its end in one call (`execute_fetchall`); a regression test
  shows 0 stale reads where the old code had a third of them.
- **Thread round trips per write: 5 → 1.** Every aiosqlite call is a hop to the connection's
  thread and back, and under load each hop waits for the GIL. A single write statement is
  atomic in SQLite by itself, so `Database.execute` no longer wraps it in BEGIN/COMMIT, and the
  new `Database.write_returning` runs INSERT/UPDATE … RETURNING in one call; the learner's hot
  path (recording who wrote, profile answers, a card seen, a new lesson/quiz session) uses it.
  A /learn went from 28 to 10 round trips, a whole learner journey (14 updates) from 221 to
  99 (counted by wrapping aiosqlite's dispatch in a one-learner run).
- **The low-load /learn figure was the pacer, not the bot.** Measured back to back, single
  /learn commands came faster than Telegram's 30 messages/s, so each reply waited for the
  limiter's next slot (~34 ms); spaced 60 ms apart (a low load) the bot's own time shows.
- **Indexes.** Every query behind the nudge tick, /progress, /stats and /export already
  searches by index at 100,000 learners (plans below), so no index was added.
"""


def _git(*args: str) -> str:
    try:
        out = subprocess.run(["git", *args], cwd=ROOT, capture_output=True, text=True,  # noqa: S603,S607
                             check=True)
    except (OSError, subprocess.CalledProcessError):
        return "unknown"
    return out.stdout.strip()


def _cpu() -> str:
    try:
        for line in Path("/proc/cpuinfo").read_text().splitlines():
            if line.startswith("model name"):
                return line.split(":", 1)[1].strip()
    except OSError:
        pass
    return platform.processor() or "unknown"


def _cores() -> int:
    if hasattr(os, "sched_getaffinity"):
        return len(os.sched_getaffinity(0))
    return os.cpu_count() or 0


def _load(name: str) -> dict[str, Any] | None:
    path = RESULTS / f"{name}.json"
    if not path.exists():
        return None
    return json.loads(path.read_text(encoding="utf-8"))


def _digits(unit: str, value: float) -> int:
    if unit in ("fraction", "cores"):
        return 2
    if unit == "count":
        return 0
    return 1 if abs(value) >= 10 else 2


def _cell(figure: dict[str, Any]) -> tuple[str, str]:
    runs = figure["runs"]
    d = _digits(figure["unit"], figure["median"])
    median = fmt(figure["median"], d)
    spread = f"{fmt(min(runs), d)}–{fmt(max(runs), d)}" if len(runs) > 1 else "—"
    return median, spread


def _verdict(met: bool | None) -> str:
    return {True: "✅ met", False: "❌ missed", None: ""}[met]


def _figures_table(figures: list[dict[str, Any]]) -> list[str]:
    lines = ["| Figure | Median | Spread (min–max) | Runs | Goal | |",
             "| --- | ---: | ---: | ---: | --- | --- |"]
    for f in figures:
        median, spread = _cell(f)
        lines.append(f"| {f['name']} | {median} {f['unit']} | {spread} | {len(f['runs'])} | "
                     f"{f['goal']} | {_verdict(f['met'])} |")
    return lines


def _nudges_section(data: dict[str, Any]) -> list[str]:
    paced = data.get("achieved_rate_fraction_of_30", {}).get("runs", [])
    free = data.get("cpu_ms_per_nudge_limiter_off", {}).get("runs", [])
    described = (
        "Written by bench/nudges.py (another benchmark, run here unchanged): learners all due in "
        "the same minute, one dispatch through the real bot in process, the emulator in its own "
        "process. Runs in this file: at Telegram's limits "
        + (", ".join(f"{r['learners']:,}" for r in paced) or "none") + " learners; limiter "
        "off " + (", ".join(f"{r['learners']:,}" for r in free) or "none") + " learners; the "
        "due query 3 times on 100,000. `make bench` runs it with --quick (one paced run of "
        "3,000) to stay within 15 minutes; `python -m bench.nudges` alone runs 10,000 learners "
        "at 30/s, about 10 minutes."
    )
    lines = ["## Nudges", "", described, ""]
    rows = [
        ("Achieved nudge rate ÷ 30/s", "fraction", data.get("achieved_rate_fraction_of_30")),
        ("CPU per nudge, limiter off", "ms", data.get("cpu_ms_per_nudge_limiter_off")),
        ("Nudge tick due query, 100,000 learners", "ms", data.get("due_query_ms_100k")),
    ]
    lines += ["| Figure | Median | Spread (min–max) | Runs | Goal |",
              "| --- | ---: | ---: | ---: | --- |"]
    for name, unit, item in rows:
        if not item:
            continue
        n = len(item.get("runs", [])) or 3
        d = 3 if unit == "fraction" else 2
        lines.append(f"| {name} | {fmt(item['median'], d)} {unit} | {fmt(item['min'], d)}–"
                     f"{fmt(item['max'], d)} | {n} | {item.get('goal', '')} |")
    flood = [r.get("flood_429", 0) for r in paced]
    if paced:
        lines += ["", f"- 429 answers at Telegram's limits: {', '.join(map(str, flood))}."]
    return lines + [""]


def _interactive_extra(data: dict[str, Any]) -> list[str]:
    extra = data.get("extra", {})
    lines = ["", "CPU of the bot process per update handled (both threads and SQLite's), and "
             "how busy it was (1.0 = one core):", "",
             "| Learners | Sinau CPU/update | Echo CPU/update | Sinau busy | Echo busy |",
             "| ---: | ---: | ---: | ---: | ---: |"]
    for row in extra.get("per_size", []):
        lines.append(
            f"| {row['learners']:,} | {fmt(statistics.median(row['sinau_cpu_ms_per_update']), 2)}"
            f" ms | {fmt(statistics.median(row['echo_cpu_ms_per_update']), 2)} ms | "
            f"{fmt(statistics.median(row['sinau_cpu_busy']), 2)} | "
            f"{fmt(statistics.median(row['echo_cpu_busy']), 2)} |")
    profiles = extra.get("profiles")
    if profiles:
        lines += ["", f"### Profile (py-spy, {profiles['learners']} learners, one window each)",
                  "", "Share of CPU samples by layer (innermost frame; all threads):", "",
                  "| Layer | Sinau | Echo |", "| --- | ---: | ---: |"]
        layers = sorted(set(profiles["sinau"].get("layers", {}))
                        | set(profiles["echo"].get("layers", {})))
        for layer in layers:
            lines.append(f"| {layer} | {profiles['sinau']['layers'].get(layer, 0):.1f} % | "
                         f"{profiles['echo']['layers'].get(layer, 0):.1f} % |")
        lines += ["", "Sinau's hottest functions (self time) and its own code (inclusive):", "",
                  "| Self | % | | Sinau code, inclusive | % |",
                  "| --- | ---: | --- | --- | ---: |"]
        own = profiles["sinau"].get("self", [])
        inclusive = [x for x in profiles["sinau"].get("sinau_inclusive", [])
                     if "__main__" not in x[0]]
        for i in range(max(len(own), len(inclusive))):
            a = own[i] if i < len(own) else ("", "")
            b = inclusive[i] if i < len(inclusive) else ("", "")
            def code(name: str) -> str:
                return f"`{name}`" if name else ""

            lines.append(f"| {code(a[0])} | {a[1]} | | {code(b[0])} | {b[1]} |")
        lines.append("")
        lines.append("Raw profiles: bench/out/interactive/profile-{sinau,echo}-N.txt (folded "
                     "stacks, e.g. for speedscope or flamegraph.pl).")
    return lines


def _scale_extra(data: dict[str, Any]) -> list[str]:
    per_size = data.get("extra", {}).get("per_size", [])
    if not per_size:
        return []
    header = "| | " + " | ".join(f"{s['learners']:,} learners" for s in per_size) + " |"
    lines = ["", "How it grows (medians):", "", header,
             "| --- |" + " ---: |" * len(per_size)]
    for name in ("nudge due query", "/progress", "/stats", "/export"):
        cells = [f"{fmt(statistics.median(s[name]['ms']), 2)} ms" for s in per_size]
        lines.append(f"| {name} | " + " | ".join(cells) + " |")
    rows = (("Cohort members (/stats, /export)", "cohort_members", "{:,}"),
            ("Quiz answers", "quiz_answers", "{:,}"), ("Cohorts", "cohorts", "{:,}"))
    for label, key, pattern in rows:
        lines.append(f"| {label} | " + " | ".join(pattern.format(s[key]) for s in per_size) + " |")
    lines.append("| Start-up (exec → first getUpdates) | " + " | ".join(
        f"{fmt(statistics.median(s['startup_s']), 2)} s" for s in per_size) + " |")
    lines.append("| Resident memory | " + " | ".join(
        f"{fmt(statistics.median(s['rss_mb']), 0)} MB" for s in per_size) + " |")
    lines.append("| Database size | " + " | ".join(
        f"{fmt(s['db_mb'], 0)} MB" for s in per_size) + " |")
    biggest = per_size[-1]
    lines += ["", f"Query plans at {biggest['learners']:,} learners (EXPLAIN QUERY PLAN of every "
              "read each call makes):", ""]
    for name in ("nudge due query", "/progress", "/stats", "/export"):
        lines += [f"<details><summary>{name}</summary>", "", "```"]
        for plan in biggest[name]["plans"]:
            lines.append(plan["sql"][:300] + (" …" if len(plan["sql"]) > 300 else ""))
            lines += ["  " + step for step in plan["plan"]]
            lines.append("")
        lines += ["```", "", "</details>", ""]
    return lines


def _goals(datas: dict[str, dict[str, Any]]) -> list[str]:
    lines = ["| Goal | Result (median; spread) | |", "| --- | --- | --- |"]
    for name in ORDER:
        data = datas.get(name)
        if data is None or name == "nudges":
            continue
        for f in data["figures"]:
            if not f["goal"]:
                continue
            median, spread = _cell(f)
            spread_text = f"; {spread}" if spread != "—" else ""
            lines.append(f"| {f['name']}: {f['goal']} | {median} {f['unit']}{spread_text} | "
                         f"{_verdict(f['met'])} |")
    nudges = datas.get("nudges")
    if nudges and nudges.get("achieved_rate_fraction_of_30"):
        r = nudges["achieved_rate_fraction_of_30"]
        lines.append(f"| Nudge dispatch rate ÷ 30/s (bench/nudges.py): ≥ 0.95 | "
                     f"{fmt(r['median'], 3)} fraction | {_verdict(r['median'] >= 0.95)} |")
    if nudges and nudges.get("due_query_ms_100k"):
        q = nudges["due_query_ms_100k"]
        lines.append(f"| Nudge due query on 100,000 (bench/nudges.py): < 50 ms | "
                     f"{fmt(q['median'], 2)} ms | {_verdict(q['median'] < 50)} |")
    return lines


def record_run(*, total_seconds: float, quick: bool, only: str | None) -> None:
    """Remember what was measured (commit, time, mode) in bench/results/run.json."""
    # Code only: results files and texts being edited by others do not change a measurement.
    dirty = _git("status", "--porcelain", "--untracked-files=no", "--", "bot/*.py", "bot/*.sql",
                 "bench/*.py")
    run = {"commit": _git("rev-parse", "--short", "HEAD"), "dirty": bool(dirty),
           "finished": f"{datetime.now(UTC):%Y-%m-%d %H:%M} UTC",
           "total_seconds": total_seconds, "quick": quick, "only": only}
    RESULTS.mkdir(parents=True, exist_ok=True)
    (RESULTS / "run.json").write_text(json.dumps(run, indent=2) + "\n", encoding="utf-8")


def write_results() -> Path:
    """Write bench/RESULTS.md from bench/results/ (run.json says which run); its path."""
    datas = {name: data for name in ORDER if (data := _load(name)) is not None}
    run = _load("run") or {}
    commit = run.get("commit") or _git("rev-parse", "--short", "HEAD")
    dirty = run.get("dirty", False)
    total_seconds, quick, only = run.get("total_seconds"), run.get("quick"), run.get("only")
    lines = [
        "# Benchmark results",
        "",
        "Written by `make bench` (`python -m bench`); every figure below comes from the JSON "
        "files in bench/results/. Benchmarks are not tests: nothing here is asserted by the "
        "test suite.",
        "",
        f"- Date: {run.get('finished') or f'{datetime.now(UTC):%Y-%m-%d %H:%M} UTC'}",
        f"- Commit: `{commit}`" + (" (with uncommitted changes)" if dirty else ""),
        f"- CPU: {_cpu()}, {_cores()} cores",
        f"- Python {platform.python_version()} on {platform.system()} {platform.release()}",
    ]
    if total_seconds is not None:
        mode = "quick mode" if quick else "full run"
        scope = f", only `{only}`" if only else ""
        lines.append(f"- Run time: {total_seconds / 60:.1f} minutes ({mode}{scope})")
    lines += [
        "- Each figure is the median of its runs; the spread is the lowest and highest run.",
        "- The broadcast at Telegram's limits and the nudge dispatch wait on the 30 messages/s "
        "pacing most of the time, so they run while the scale databases are seeded (the "
        "bot's CPU share is shown). Everything that measures CPU or latency ran alone.",
        "",
        "## Goals",
        "",
        *_goals(datas),
        "",
        "## What the benchmarks changed",
        "",
        CHANGES,
    ]
    for name in ORDER:
        data = datas.get(name)
        if data is None:
            continue
        if name == "nudges":
            lines += _nudges_section(data)
            continue
        lines += [f"## {data['title']}", "", data["method"], ""]
        lines += _figures_table(data["figures"])
        lines += [""] + [f"- {note}" for note in data.get("notes", [])]
        if name == "interactive":
            lines += _interactive_extra(data)
        if name == "scale":
            lines += _scale_extra(data)
        lines.append("")
    TARGET.write_text("\n".join(lines).rstrip() + "\n", encoding="utf-8")
    return TARGET
