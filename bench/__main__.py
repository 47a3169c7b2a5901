"""``python -m bench [--quick] [--only NAME]``: run the benchmarks, write bench/RESULTS.md.

Each benchmark runs as its own process and leaves JSON in bench/results/; the report is written
from those files at the end (so ``--only`` refreshes one benchmark and keeps the others).

The whole run fits in 15 minutes on 2 cores because the two benchmarks that mostly wait on
Telegram's 30 messages/s (the broadcast at Telegram's limits, about 100 s per run, and the
nudge dispatch in its --quick mode) run while the scale databases are seeded; everything that
measures CPU or latency (interactive, scale, the sender's ceiling) runs alone afterwards.
"""

from __future__ import annotations

import argparse
import subprocess
import sys
import time

from bench.common import ROOT
from bench.report import record_run, write_results

Step = tuple[str, list[str]]


def plan(quick: bool) -> tuple[list[Step], list[Step]]:
    """(steps that run side by side, then steps that run one at a time)."""
    if quick:
        together = [
            ("broadcast", ["bench.broadcast", "--part", "paced", "--recipients", "300"]),
            ("seed", ["bench.seed", "1000", "10000"]),
        ]
        alone = [
            ("interactive", ["bench.interactive", "--quick", "--sizes", "50,200",
                             "--learn-samples", "60"]),
            ("scale", ["bench.scale", "--sizes", "1000,10000"]),
            ("broadcast_ceiling", ["bench.broadcast", "--part", "ceiling",
                                   "--recipients", "1000"]),
            ("postgresql", ["bench.postgres", "--sizes", "10000", "--learners", "100",
                            "--recipients", "300"]),
            ("siasn", ["bench.siasn", "--runs", "3"]),
        ]
        return together, alone
    together = [
        ("broadcast", ["bench.broadcast", "--part", "paced"]),
        # The seeding is not a measurement; the nudge dispatch after it is paced at 30/s.
        ("seed+nudges", ["bench.seed", "1000", "10000", "100000", "&&", "bench.nudges",
                         "--quick"]),
    ]
    alone = [
        ("interactive", ["bench.interactive", "--profile", "200"]),
        ("scale", ["bench.scale"]),
        ("broadcast_ceiling", ["bench.broadcast", "--part", "ceiling"]),
        ("postgresql", ["bench.postgres"]),
        ("siasn", ["bench.siasn"]),
    ]
    return together, alone


def _commands(args: list[str]) -> list[list[str]]:
    """Split 'a x && b y' into [[python -m a x], [python -m b y]]."""
    found: list[list[str]] = [[]]
    for arg in args:
        if arg == "&&":
            found.append([])
        else:
            found[-1].append(arg)
    return [[sys.executable, "-m", *cmd] for cmd in found]


def _chain(commands: list[list[str]]) -> subprocess.Popen[bytes]:
    """Run the commands one after another in a shell-free child (stop at the first failure)."""
    script = (
        "import subprocess, sys\n"
        f"for cmd in {commands!r}:\n"
        "    code = subprocess.call(cmd)\n"
        "    if code:\n"
        "        sys.exit(code)\n"
    )
    return subprocess.Popen([sys.executable, "-c", script], cwd=ROOT)  # noqa: S603


def run(only: str | None, quick: bool) -> int:
    """Run the selected steps; the number of failed steps."""
    together, alone = plan(quick)
    failed = 0
    started = time.perf_counter()
    group = [(n, a) for n, a in together if only is None or only in n.split("+")]
    procs = [(name, _chain(_commands(args))) for name, args in group]
    for name, proc in procs:
        if proc.wait():
            print(f"bench: {name} failed ({proc.returncode})", file=sys.stderr)
            failed += 1
    for name, args in alone:
        if only is not None and only != name:
            continue
        print(f"bench: {name} ({time.perf_counter() - started:.0f} s in)", flush=True)
        if _chain(_commands(args)).wait():
            print(f"bench: {name} failed", file=sys.stderr)
            failed += 1
    record_run(total_seconds=time.perf_counter() - started, quick=quick, only=only)
    path = write_results()
    print(f"bench: wrote {path.relative_to(ROOT)} after {time.perf_counter() - started:.0f} s")
    return failed


def main() -> None:
    """Parse the arguments and run."""
    parser = argparse.ArgumentParser(prog="python -m bench", description=__doc__)
    parser.add_argument("--quick", action="store_true", help="small sizes, for a smoke test")
    parser.add_argument("--only", help="one of: broadcast, seed, nudges, interactive, scale, "
                        "broadcast_ceiling, postgresql, siasn")
    args = parser.parse_args()
    sys.exit(1 if run(args.only, args.quick) else 0)


if __name__ == "__main__":
    main()
