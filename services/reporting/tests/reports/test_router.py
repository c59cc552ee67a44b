"""Who may read what, parameter validation, CSV downloads and problem+json errors."""

from __future__ import annotations

import csv
import io
from typing import Any
from uuid import uuid4

import pytest
from reporting_testkit import MS, A, M, O, P, Q, R, V, X, apply_all, build

pytestmark = pytest.mark.asyncio

PROJECT_REPORTS = ("summary", "throughput", "cumulative-flow", "team")


@pytest.fixture
async def loaded(sessionmaker: Any, app: Any) -> Any:
    await apply_all(sessionmaker, build().envelopes)
    return sessionmaker


@pytest.mark.parametrize("report", PROJECT_REPORTS)
async def test_non_members_get_404_on_every_project_report(
    loaded: Any, client: Any, auth: Any, report: str
) -> None:
    for user, project in ((X, P), (M, R), (X, uuid4())):  # outsider, removed member, unknown
        r = await client.get(f"/api/v1/reports/projects/{project}/{report}", headers=auth(user))
        assert r.status_code == 404, (user, project, r.text)
        assert r.headers["content-type"].startswith("application/problem+json")
        assert r.json()["code"] == "project_not_found"


async def test_non_members_get_404_on_the_burndown(loaded: Any, client: Any, auth: Any) -> None:
    for milestone in (MS, uuid4()):
        r = await client.get(f"/api/v1/reports/milestones/{milestone}/burndown", headers=auth(X))
        assert r.status_code == 404
        assert r.json()["code"] == "milestone_not_found"


async def test_team_figures_are_for_admins_and_owners_only(
    loaded: Any, client: Any, auth: Any
) -> None:
    path = f"/api/v1/reports/projects/{P}/team"
    for user in (M, V):
        r = await client.get(path, headers=auth(user))
        assert r.status_code == 403, r.text
        assert r.json()["code"] == "team_reports_forbidden"
    for user in (A, O):
        assert (await client.get(path, headers=auth(user))).status_code == 200
    # M is a plain member of Q too: still 403 there; the owner of Q may look.
    assert (
        await client.get(f"/api/v1/reports/projects/{Q}/team", headers=auth(M))
    ).status_code == 403
    assert (
        await client.get(f"/api/v1/reports/projects/{Q}/team", headers=auth(O))
    ).status_code == 200


async def test_a_deleted_project_is_gone_for_everyone(loaded: Any, client: Any, auth: Any) -> None:
    from datetime import UTC, datetime

    from taskflow.events import Envelope, ProjectDeleted, ProjectRestored

    at = datetime(2026, 11, 11, tzinfo=UTC)
    deleted = Envelope.wrap(ProjectDeleted(project_id=Q), source="t", actor_id=O, time=at)
    await apply_all(loaded, [deleted])
    r = await client.get(f"/api/v1/reports/projects/{Q}/summary", headers=auth(O))
    assert r.status_code == 404
    # A restore older than the deletion changes nothing; a newer one brings it back.
    older = Envelope.wrap(
        ProjectRestored(project_id=Q),
        source="t",
        actor_id=O,
        time=datetime(2026, 11, 10, tzinfo=UTC),
    )
    await apply_all(loaded, [older])
    assert (
        await client.get(f"/api/v1/reports/projects/{Q}/summary", headers=auth(O))
    ).status_code == 404
    newer = Envelope.wrap(
        ProjectRestored(project_id=Q),
        source="t",
        actor_id=O,
        time=datetime(2026, 11, 12, tzinfo=UTC),
    )
    await apply_all(loaded, [newer])
    assert (
        await client.get(f"/api/v1/reports/projects/{Q}/summary", headers=auth(O))
    ).status_code == 200


async def test_an_archived_project_stays_reportable_and_says_so(
    loaded: Any, client: Any, auth: Any
) -> None:
    from datetime import UTC, datetime

    from taskflow.events import Envelope, ProjectArchived, ProjectRestored, ProjectUpdated

    def wrap(event: Any, day: int) -> Envelope:
        return Envelope.wrap(
            event, source="t", actor_id=O, time=datetime(2026, 11, day, tzinfo=UTC)
        )

    async def summary() -> Any:
        r = await client.get(f"/api/v1/reports/projects/{Q}/summary", headers=auth(O))
        assert r.status_code == 200, r.text
        return r.json()

    assert (await summary())["archived"] is False
    # project.updated (name, dates) is logged but changes no figure.
    before = await summary()
    await apply_all(loaded, [wrap(ProjectUpdated(project_id=Q, changes={}, version=2), 11)])
    after = await summary()
    assert {k: v for k, v in after.items() if k != "as_of"} == {
        k: v for k, v in before.items() if k != "as_of"
    }
    await apply_all(loaded, [wrap(ProjectArchived(project_id=Q), 12)])
    s = await summary()
    assert (s["archived"], s["total"]) == (True, 1)
    # An older restore does not unarchive; a newer one does.
    await apply_all(loaded, [wrap(ProjectRestored(project_id=Q), 11)])
    assert (await summary())["archived"] is True
    await apply_all(loaded, [wrap(ProjectRestored(project_id=Q), 13)])
    assert (await summary())["archived"] is False


async def test_without_a_token_every_report_is_401(client: Any) -> None:
    for path in (
        f"/projects/{P}/summary",
        f"/projects/{P}/team",
        f"/milestones/{MS}/burndown",
        "/me",
    ):
        r = await client.get(f"/api/v1/reports{path}")
        assert r.status_code == 401
        assert r.headers["content-type"].startswith("application/problem+json")


@pytest.mark.parametrize(
    "path",
    [f"/projects/{P}/summary", f"/projects/{P}/throughput", "/me", f"/milestones/{MS}/burndown"],
)
async def test_an_unknown_time_zone_is_a_422_naming_tz(
    loaded: Any, client: Any, auth: Any, path: str
) -> None:
    r = await client.get(f"/api/v1/reports{path}", params={"tz": "Mars/Olympus"}, headers=auth(M))
    assert r.status_code == 422
    body = r.json()
    assert body["code"] == "invalid_timezone"
    assert body["errors"][0]["loc"] == ["query", "tz"]


async def test_bad_ranges_and_intervals_are_422(loaded: Any, client: Any, auth: Any) -> None:
    path = f"/api/v1/reports/projects/{P}/throughput"
    r = await client.get(path, params={"from": "2026-11-10", "to": "2026-11-01"}, headers=auth(M))
    assert r.status_code == 422
    assert r.json()["errors"][0]["loc"] == ["query", "from"]
    r = await client.get(path, params={"from": "2020-01-01", "to": "2026-11-01"}, headers=auth(M))
    assert r.status_code == 422
    r = await client.get(path, params={"interval": "month"}, headers=auth(M))
    assert r.status_code == 422
    r = await client.get(path, params={"format": "xml"}, headers=auth(M))
    assert r.status_code == 422


def _csv(text: str) -> list[list[str]]:
    return list(csv.reader(io.StringIO(text)))


async def test_csv_downloads_have_a_header_row(loaded: Any, client: Any, auth: Any) -> None:
    r = await client.get(
        f"/api/v1/reports/projects/{P}/throughput",
        params={"format": "csv", "from": "2026-11-02", "to": "2026-11-03"},
        headers=auth(M),
    )
    assert r.status_code == 200
    assert r.headers["content-type"].startswith("text/csv")
    assert "attachment" in r.headers["content-disposition"]
    assert _csv(r.text) == [
        ["period_start", "created", "completed"],
        ["2026-11-02", "2", "0"],
        ["2026-11-03", "1", "0"],
    ]
    summary = _csv(
        (
            await client.get(
                f"/api/v1/reports/projects/{P}/summary", params={"format": "csv"}, headers=auth(M)
            )
        ).text
    )
    assert summary[0] == ["metric", "value"]
    assert ["total", "7"] in summary
    team = _csv(
        (
            await client.get(
                f"/api/v1/reports/projects/{P}/team", params={"format": "csv"}, headers=auth(O)
            )
        ).text
    )
    assert team[0] == [
        "user_id",
        "role",
        "assigned",
        "completed",
        "on_time_rate",
        "median_cycle_hours",
        "overdue",
    ]
    assert len(team) == 5
    for path in (f"/projects/{P}/cumulative-flow", f"/milestones/{MS}/burndown", "/me"):
        r = await client.get(f"/api/v1/reports{path}", params={"format": "csv"}, headers=auth(M))
        assert r.status_code == 200
        assert r.headers["content-type"].startswith("text/csv")
        assert len(_csv(r.text)) >= 2
    # A non-member still gets 404, not an empty file.
    r = await client.get(
        f"/api/v1/reports/projects/{P}/summary", params={"format": "csv"}, headers=auth(X)
    )
    assert r.status_code == 404


async def test_as_of_is_null_before_any_event(app: Any, client: Any, auth: Any) -> None:
    r = await client.get("/api/v1/reports/me", headers=auth(M))
    assert r.status_code == 200
    assert r.json()["as_of"] is None
