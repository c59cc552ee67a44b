"""project workflows (per-project statuses; every task points at one of its project's) and
task dependencies (blocks / blocked by, with a project setting to complete anyway)

Revision ID: 0003_workflows
Revises: 0002
Create Date: 2026-12-07 15:00:00

Every project (live, archived or trashed) gets the default workflow, whose five statuses carry
exactly the names of the old fixed statuses, and every task (live or trashed) is mapped to the
status of its old name in its own project, so nothing is lost: names, completion times,
counters and the search vector stay as they were. `blocked` is an `in_progress` category.

`tasks.status` stays (the status name, copied for lists and filters) next to `status_id` and
`status_category`; one composite foreign key keeps all three equal to the status row, and
its ON UPDATE CASCADE carries a rename to every task.

`task_dependencies` starts empty; `projects.allow_completion_with_open_blockers` is false.

Downgrade maps each task back by category where its status name is not one of the old five
(a custom status is lost then; its tasks are not).
"""

from collections.abc import Sequence

import sqlalchemy as sa
from alembic import op

revision: str = "0003_workflows"
down_revision: str | None = "0002"
branch_labels: str | Sequence[str] | None = None
depends_on: str | Sequence[str] | None = None

DEFAULTS = (
    ("todo", "todo", "#6b7280", 0),
    ("in_progress", "in_progress", "#3b82f6", 1),
    ("blocked", "in_progress", "#ef4444", 2),
    ("done", "done", "#22c55e", 3),
    ("cancelled", "cancelled", "#9ca3af", 4),
)


def upgrade() -> None:
    op.create_table(
        "project_statuses",
        sa.Column("id", sa.Uuid(), nullable=False),
        sa.Column("project_id", sa.Uuid(), nullable=False),
        sa.Column("name", sa.String(length=50), nullable=False),
        sa.Column("colour", sa.String(length=7), nullable=False),
        sa.Column("category", sa.String(length=16), nullable=False),
        sa.Column("position", sa.Integer(), nullable=False),
        sa.Column("wip_limit", sa.Integer(), nullable=True),
        sa.Column("version", sa.Integer(), server_default="1", nullable=False),
        sa.Column(
            "created_at", sa.DateTime(timezone=True), server_default=sa.text("now()"), nullable=False
        ),
        sa.Column(
            "updated_at", sa.DateTime(timezone=True), server_default=sa.text("now()"), nullable=False
        ),
        sa.CheckConstraint(
            "category IN ('backlog','todo','in_progress','done','cancelled')",
            name=op.f("ck_project_statuses_category"),
        ),
        sa.CheckConstraint(
            "wip_limit IS NULL OR wip_limit > 0", name=op.f("ck_project_statuses_wip_limit")
        ),
        sa.CheckConstraint("colour ~ '^#[0-9a-f]{6}$'", name=op.f("ck_project_statuses_colour")),
        sa.ForeignKeyConstraint(
            ["project_id"],
            ["tasks.projects.id"],
            name=op.f("fk_project_statuses_project_id_projects"),
            ondelete="CASCADE",
        ),
        sa.PrimaryKeyConstraint("id", name=op.f("pk_project_statuses")),
        sa.UniqueConstraint(
            "project_id", "name", name=op.f("uq_project_statuses_project_id_name")
        ),
        sa.UniqueConstraint(
            "project_id", "id", "name", "category", name=op.f("uq_project_statuses_ref")
        ),
        schema="tasks",
    )
    op.create_index(
        "ix_project_statuses_project_position",
        "project_statuses",
        ["project_id", "position"],
        unique=False,
        schema="tasks",
    )
    values = ", ".join(f"('{n}', '{c}', '{col}', {p})" for n, c, col, p in DEFAULTS)
    op.execute(
        "INSERT INTO tasks.project_statuses"
        " (id, project_id, name, category, colour, position, created_at, updated_at)"
        " SELECT gen_random_uuid(), p.id, d.name, d.category, d.colour, d.position,"
        " p.created_at, p.created_at"
        f" FROM tasks.projects p CROSS JOIN (VALUES {values}) AS d(name, category, colour, position)"
    )
    op.drop_index(
        "ix_tasks_project_live_status",
        table_name="tasks",
        schema="tasks",
        postgresql_where=sa.text("deleted_at IS NULL"),
    )
    op.drop_constraint(op.f("ck_tasks_status"), "tasks", schema="tasks", type_="check")
    op.add_column("tasks", sa.Column("status_id", sa.Uuid(), nullable=True), schema="tasks")
    op.add_column(
        "tasks", sa.Column("status_category", sa.String(length=16), nullable=True), schema="tasks"
    )
    op.alter_column(
        "tasks",
        "status",
        type_=sa.String(length=50),
        server_default=None,
        existing_nullable=False,
        schema="tasks",
    )
    op.execute(
        "UPDATE tasks.tasks t SET status_id = s.id, status_category = s.category"
        " FROM tasks.project_statuses s"
        " WHERE s.project_id = t.project_id AND s.name = t.status"
    )
    op.alter_column("tasks", "status_id", nullable=False, schema="tasks")
    op.alter_column("tasks", "status_category", nullable=False, schema="tasks")
    op.create_check_constraint(
        op.f("ck_tasks_status_category"),
        "tasks",
        "status_category IN ('backlog','todo','in_progress','done','cancelled')",
        schema="tasks",
    )
    op.create_foreign_key(
        op.f("fk_tasks_status"),
        "tasks",
        "project_statuses",
        ["project_id", "status_id", "status", "status_category"],
        ["project_id", "id", "name", "category"],
        source_schema="tasks",
        referent_schema="tasks",
        onupdate="CASCADE",
    )
    op.create_index(
        "ix_tasks_project_live_status",
        "tasks",
        ["project_id", "status_id"],
        unique=False,
        schema="tasks",
        postgresql_where=sa.text("deleted_at IS NULL"),
    )
    op.create_index(
        "ix_tasks_project_live_category",
        "tasks",
        ["project_id", "status_category"],
        unique=False,
        schema="tasks",
        postgresql_where=sa.text("deleted_at IS NULL"),
    )
    op.create_index("ix_tasks_status_id", "tasks", ["status_id"], unique=False, schema="tasks")

    op.add_column(
        "projects",
        sa.Column(
            "allow_completion_with_open_blockers",
            sa.Boolean(),
            server_default="false",
            nullable=False,
        ),
        schema="tasks",
    )
    op.create_table(
        "task_dependencies",
        sa.Column("blocker_id", sa.Uuid(), nullable=False),
        sa.Column("blocked_id", sa.Uuid(), nullable=False),
        sa.Column("created_by", sa.Uuid(), nullable=False),
        sa.Column(
            "created_at", sa.DateTime(timezone=True), server_default=sa.text("now()"), nullable=False
        ),
        sa.CheckConstraint("blocker_id <> blocked_id", name=op.f("ck_task_dependencies_not_self")),
        sa.ForeignKeyConstraint(
            ["blocker_id"],
            ["tasks.tasks.id"],
            name=op.f("fk_task_dependencies_blocker_id_tasks"),
            ondelete="CASCADE",
        ),
        sa.ForeignKeyConstraint(
            ["blocked_id"],
            ["tasks.tasks.id"],
            name=op.f("fk_task_dependencies_blocked_id_tasks"),
            ondelete="CASCADE",
        ),
        sa.PrimaryKeyConstraint("blocker_id", "blocked_id", name=op.f("pk_task_dependencies")),
        schema="tasks",
    )
    op.create_index(
        "ix_task_dependencies_blocked_id",
        "task_dependencies",
        ["blocked_id"],
        unique=False,
        schema="tasks",
    )


def downgrade() -> None:
    op.drop_index(
        "ix_task_dependencies_blocked_id", table_name="task_dependencies", schema="tasks"
    )
    op.drop_table("task_dependencies", schema="tasks")
    op.drop_column("projects", "allow_completion_with_open_blockers", schema="tasks")
    op.drop_index("ix_tasks_status_id", table_name="tasks", schema="tasks")
    op.drop_index(
        "ix_tasks_project_live_category",
        table_name="tasks",
        schema="tasks",
        postgresql_where=sa.text("deleted_at IS NULL"),
    )
    op.drop_index(
        "ix_tasks_project_live_status",
        table_name="tasks",
        schema="tasks",
        postgresql_where=sa.text("deleted_at IS NULL"),
    )
    op.drop_constraint(op.f("fk_tasks_status"), "tasks", schema="tasks", type_="foreignkey")
    op.drop_constraint(op.f("ck_tasks_status_category"), "tasks", schema="tasks", type_="check")
    op.execute(
        "UPDATE tasks.tasks SET status = CASE status_category"
        " WHEN 'backlog' THEN 'todo' ELSE status_category END"
        " WHERE status NOT IN ('todo','in_progress','blocked','done','cancelled')"
    )
    op.drop_column("tasks", "status_category", schema="tasks")
    op.drop_column("tasks", "status_id", schema="tasks")
    op.alter_column(
        "tasks",
        "status",
        type_=sa.String(length=16),
        server_default="todo",
        existing_nullable=False,
        schema="tasks",
    )
    op.create_check_constraint(
        op.f("ck_tasks_status"),
        "tasks",
        "status IN ('todo','in_progress','blocked','done','cancelled')",
        schema="tasks",
    )
    op.create_index(
        "ix_tasks_project_live_status",
        "tasks",
        ["project_id", "status"],
        unique=False,
        schema="tasks",
        postgresql_where=sa.text("deleted_at IS NULL"),
    )
    op.drop_index(
        "ix_project_statuses_project_position", table_name="project_statuses", schema="tasks"
    )
    op.drop_table("project_statuses", schema="tasks")
