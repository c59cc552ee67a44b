"""`rebuild` empties the read models and replays the log to the same figures."""

from __future__ import annotations

from typing import Any

import pytest
from reporting_testkit import apply_all, build
from sqlalchemy import text

from taskflow.reporting.projection.rebuild import rebuild

pytestmark = pytest.mark.asyncio

TABLES = ("task_facts", "task_versions", "task_assignees", "members", "projects", "milestones")


async def _snapshot(maker: Any) -> dict[str, list[Any]]:
    out = {}
    async with maker() as s:
        for t in TABLES:
            rows = await s.execute(text(f"SELECT * FROM {t}"))
            out[t] = sorted(tuple(str(v) for v in r) for r in rows)
    return out


async def test_rebuild_gives_back_the_same_read_models(sessionmaker: Any) -> None:
    await apply_all(sessionmaker, build().envelopes)
    before = await _snapshot(sessionmaker)
    assert all(before[t] for t in TABLES)
    # Damage the read models the way a projection bug would.
    async with sessionmaker() as s, s.begin():
        await s.execute(text("UPDATE task_facts SET status = 'blocked', times_reopened = 9"))
        await s.execute(text("DELETE FROM members"))
    assert await _snapshot(sessionmaker) != before
    async with sessionmaker() as s, s.begin():
        result = await rebuild(s, batch=7)
    assert (result.applied, result.skipped) == (len(build().envelopes), 0)
    assert await _snapshot(sessionmaker) == before


async def test_an_unreadable_logged_event_is_skipped(sessionmaker: Any) -> None:
    await apply_all(sessionmaker, build().envelopes[:3])
    async with sessionmaker() as s, s.begin():
        await s.execute(
            text(
                "UPDATE event_log "
                "SET envelope = jsonb_set(envelope, '{type}', '\"task.exploded\"') "
                "WHERE seq = (SELECT min(seq) FROM event_log)"
            )
        )
    async with sessionmaker() as s, s.begin():
        result = await rebuild(s)
    assert (result.applied, result.skipped) == (2, 1)


async def test_the_rebuild_command(
    sessionmaker: Any, reporting_url: str, monkeypatch: pytest.MonkeyPatch, capsys: Any
) -> None:
    """`taskflow-reporting rebuild` (the documented command) on the configured database."""
    import asyncio

    from taskflow.reporting.cli import main

    await apply_all(sessionmaker, build().envelopes)
    async with sessionmaker() as s, s.begin():
        await s.execute(text("DELETE FROM task_facts"))
    monkeypatch.setenv("REPORTING_DATABASE_URL", reporting_url)
    monkeypatch.setenv("REPORTING_LOG_JSON", "false")
    assert await asyncio.to_thread(main, ["rebuild", "--batch", "10"]) == 0
    assert f"{len(build().envelopes)} events applied" in capsys.readouterr().out
    async with sessionmaker() as s:
        assert (await s.execute(text("SELECT count(*) FROM task_facts"))).scalar_one() == 10


async def test_the_log_keeps_no_one_time_link(sessionmaker: Any) -> None:
    """An invitation's mail event reaches reporting through `project.#`: it is logged (a
    rebuild replays it) with its link redacted, and a plain event is logged as sent."""
    from sqlalchemy import text as sql_text

    from taskflow.events import Envelope
    from taskflow.events.contracts import ProjectInvitationMailRequested, ProjectMemberAdded
    from taskflow.events.examples import example
    from taskflow.reporting.projection.handlers import apply_event

    mail = Envelope.wrap(example(ProjectInvitationMailRequested), source="t", actor_id=None)
    added = Envelope.wrap(example(ProjectMemberAdded), source="t", actor_id=None)
    for env in (mail, added):
        async with sessionmaker() as session, session.begin():
            assert await apply_event(session, env, env.event())
    query = sql_text("SELECT type, envelope::text FROM event_log WHERE event_id IN (:a, :b)")
    async with sessionmaker() as session:
        result = await session.execute(query, {"a": mail.id, "b": added.id})
        rows = {str(kind): str(doc) for kind, doc in result.all()}
    assert "one-time" not in rows["project.invitation_mail_requested"]
    assert "[redacted]" in rows["project.invitation_mail_requested"]
    assert str(added.data["user_id"]) in rows["project.member_added"]
