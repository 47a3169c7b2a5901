"""Several real workers on one PostgreSQL database behind a real HAProxy, for end-to-end tests.

``Farm`` starts ``python -m bot run`` processes in webhook mode, each on its own port, and
HAProxy in front of them on one port (the webhook URL Telegram, here the emulator, is given).
HAProxy checks each worker's ``/healthz`` twice a second and sends a request whose worker
refused the connection to another one (an update is idempotent by its update_id).
"""

from __future__ import annotations

import asyncio
import contextlib
import os
import shutil
import signal
import subprocess
import sys
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any

import aiohttp

from tests.pgcluster import free_port

ROOT = Path(__file__).resolve().parents[2]
SECRET = "sinau-cluster-secret_0123456789"


def haproxy_config(port: int, workers: list[int]) -> str:
    """A load balancer for the workers' webhook ports."""
    servers = "\n".join(
        f"    server w{i} 127.0.0.1:{p} check inter 500ms fall 2 rise 1"
        for i, p in enumerate(workers))
    return f"""\
global
    maxconn 2000

defaults
    mode http
    timeout connect 2s
    timeout client 30s
    timeout server 30s
    retries 3
    option redispatch 1
    retry-on conn-failure empty-response 503

frontend telegram
    bind 127.0.0.1:{port}
    default_backend workers

backend workers
    balance roundrobin
    option httpchk GET /healthz
    http-check expect status 200
{servers}
"""


@dataclass
class WorkerProcess:
    """One ``sinau run`` process."""

    index: int
    port: int
    log: Path
    proc: subprocess.Popen[bytes] | None = None

    def alive(self) -> bool:
        """True while the process runs."""
        return self.proc is not None and self.proc.poll() is None

    def output(self) -> str:
        """Everything it logged."""
        return self.log.read_text(errors="replace") if self.log.exists() else ""


@dataclass
class Farm:
    """Workers, HAProxy, and the environment they share."""

    workdir: Path
    env: dict[str, str]
    size: int = 3
    lb_port: int = field(default_factory=free_port)
    workers: list[WorkerProcess] = field(default_factory=list)
    haproxy: subprocess.Popen[bytes] | None = None

    @property
    def url(self) -> str:
        """The webhook URL (HAProxy's)."""
        return f"http://127.0.0.1:{self.lb_port}/telegram"

    def worker_env(self, worker: WorkerProcess) -> dict[str, str]:
        """The environment of one worker."""
        return {**self.env, "SINAU_TELEGRAM__MODE": "webhook",
                "SINAU_TELEGRAM__WEBHOOK_URL": self.url,
                "SINAU_TELEGRAM__WEBHOOK_LISTEN": "127.0.0.1",
                "SINAU_TELEGRAM__WEBHOOK_PORT": str(worker.port),
                "SINAU_TELEGRAM__WEBHOOK_SECRET": SECRET}

    async def start(self) -> None:
        """All workers, then HAProxy; returns when every worker is healthy."""
        self.workers = [WorkerProcess(i, free_port(), self.workdir / f"worker-{i}.log")
                        for i in range(self.size)]
        for worker in self.workers:
            self.spawn(worker)
        self.spawn_haproxy()
        for worker in self.workers:
            await self.wait_healthy(worker)

    def spawn_haproxy(self) -> None:
        """HAProxy in front of the workers' ports (in the foreground, logging to a file)."""
        config = self.workdir / "haproxy.cfg"
        config.write_text(haproxy_config(self.lb_port, [w.port for w in self.workers]))
        binary = shutil.which("haproxy") or "/usr/sbin/haproxy"
        with (self.workdir / "haproxy.log").open("ab") as out:
            self.haproxy = subprocess.Popen([binary, "-db", "-f", str(config)],
                                            stdout=out, stderr=subprocess.STDOUT)

    def spawn(self, worker: WorkerProcess) -> None:
        """Start (or start again) one worker."""
        with worker.log.open("ab") as out:
            worker.proc = subprocess.Popen(
                [sys.executable, "-m", "bot", "run"], cwd=self.workdir,
                env=self.worker_env(worker), stdout=out, stderr=subprocess.STDOUT)

    async def health(self, worker: WorkerProcess) -> dict[str, Any] | None:
        """The worker's /healthz report, or None when it does not answer 200."""
        try:
            async with aiohttp.ClientSession() as session, session.get(
                    f"http://127.0.0.1:{worker.port}/healthz",
                    timeout=aiohttp.ClientTimeout(total=2)) as resp:
                if resp.status != 200:
                    return None
                report: dict[str, Any] = await resp.json()
                return report
        except (aiohttp.ClientError, OSError, TimeoutError):
            return None

    async def wait_healthy(self, worker: WorkerProcess, timeout: float = 60) -> dict[str, Any]:  # noqa: ASYNC109
        """Wait until the worker answers /healthz with 200."""
        loop = asyncio.get_running_loop()
        deadline = loop.time() + timeout
        while loop.time() < deadline:
            if not worker.alive():
                raise AssertionError(f"worker {worker.index} exited:\n{worker.output()[-3000:]}")
            report = await self.health(worker)
            if report is not None:
                return report
            await asyncio.sleep(0.1)
        raise AssertionError(f"worker {worker.index} not healthy:\n{worker.output()[-3000:]}")

    async def leader(self) -> WorkerProcess | None:
        """The worker whose /healthz says it leads."""
        for worker in self.workers:
            if worker.alive():
                report = await self.health(worker)
                if report is not None and report.get("leader"):
                    return worker
        return None

    def kill(self, worker: WorkerProcess) -> int:
        """SIGKILL: no goodbye, no cleanup."""
        assert worker.proc is not None
        worker.proc.send_signal(signal.SIGKILL)
        return worker.proc.wait(10)

    async def stop_worker(self, worker: WorkerProcess, timeout: float = 10) -> int:  # noqa: ASYNC109
        """SIGTERM, and the exit code (it must come within ``timeout`` seconds)."""
        assert worker.proc is not None
        worker.proc.send_signal(signal.SIGTERM)
        return await asyncio.to_thread(worker.proc.wait, timeout)

    async def stop(self) -> list[int]:
        """Stop every worker (SIGTERM) and HAProxy; the workers' exit codes."""
        codes = []
        for worker in self.workers:
            if worker.alive():
                codes.append(await self.stop_worker(worker, 15))
        if self.haproxy is not None and self.haproxy.poll() is None:
            self.haproxy.terminate()
            with contextlib.suppress(subprocess.TimeoutExpired):
                self.haproxy.wait(5)
            if self.haproxy.poll() is None:
                self.haproxy.kill()
        return codes


def base_env(emulator_url: str, token: str, database_url: str, **extra: str) -> dict[str, str]:
    """The environment every worker shares (the contract the bot is run with)."""
    env = {k: v for k, v in os.environ.items() if not k.startswith("SINAU_")}
    env.update(
        PYTHONPATH=str(ROOT),
        PTB_TIMEDELTA="true",
        SINAU_TELEGRAM__TOKEN=token,
        SINAU_TELEGRAM__API_URL=emulator_url,
        SINAU_DATABASE__URL=database_url,
        **extra,
    )
    return env
