"""What ``/healthz`` reports: whether this worker is fit to receive updates, and its state.

Healthy means: the database answers, its schema is the one this Sinau ships, and (in a
cluster) the worker still holds its own session. The report also says whether the worker
leads (runs the periodic jobs) and, in a cluster, how many updates wait in the shared inbox.
"""

from __future__ import annotations

from typing import TYPE_CHECKING, Any

if TYPE_CHECKING:
    from bot.cluster.inbox import WebhookInbox
    from bot.wiring import Services


async def health(services: Services, *, mode: str,
                 inbox: WebhookInbox | None = None) -> tuple[bool, dict[str, Any]]:
    """(healthy, report)."""
    db = services.db
    worker = services.worker
    report: dict[str, Any] = {
        "status": "ok",
        "worker": worker.name if worker is not None else "sole",
        "leader": services.leadership.is_leader,
        "engine": db.dialect.name,
        "mode": mode,
    }
    try:
        current = await db.schema_version()
    except Exception as exc:  # noqa: BLE001 - an unreachable database is the answer
        report.update(status="database unreachable", error=type(exc).__name__)
        return False, report
    latest = db.latest_version()
    report["schema"] = {"current": current, "latest": latest}
    if current != latest:
        report["status"] = "migrations pending" if current < latest else "schema newer"
        return False, report
    if worker is not None and worker.lost:
        report["status"] = "session lost"
        return False, report
    if inbox is not None:
        report["inbox"] = {"handling": inbox.busy, "accepted": inbox.accepted,
                           "handled": inbox.handled, "duplicates": inbox.duplicates}
    return True, report
