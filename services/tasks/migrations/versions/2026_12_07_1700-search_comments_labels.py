"""search covers label names (weight C) and comment bodies (weight D)

Revision ID: 0005_search_more
Revises: 0004_webhooks
Create Date: 2026-12-07 17:00:00

The search vector stays one generated column (one GIN probe per query, project lexemes
inside). It now also folds in two plain columns kept by triggers in the same transaction as
the change that moves them:

- `search_labels`: the names of the task's labels, set by a BEFORE trigger whenever
  `label_ids` is written (every path: create, PATCH, bulk, a deleted label stripped, a move),
  and set-wise for every task of a label when the label is renamed;
- `search_comments`: the live comment bodies of the task (the first 200,000 characters, so a
  long thread cannot hit the 1 MB tsvector limit), refreshed set-wise by statement triggers
  on comments (added, edited, soft-deleted, purged).

Triggers rather than service code: a task's labels change on half a dozen paths and comments
on three; a trigger cannot be forgotten by the next one. Existing tasks are back-filled before
the generated column is added again (PostgreSQL 15 cannot alter its expression in place: one
table rewrite, as in 0002).
"""

from collections.abc import Sequence

import sqlalchemy as sa
from alembic import op
from sqlalchemy.dialects import postgresql

revision: str = "0005_search_more"
down_revision: str | None = "0004_webhooks"
branch_labels: str | Sequence[str] | None = None
depends_on: str | Sequence[str] | None = None

OLD = (
    "setweight(to_tsvector('english'::regconfig, coalesce(title, '')), 'A') || "
    "setweight(to_tsvector('english'::regconfig, coalesce(description, '')), 'B') || "
    "to_tsvector('simple'::regconfig, 'prj' || replace(project_id::text, '-', ''))"
)
NEW = (
    OLD + " || coalesce(search_labels, ''::tsvector) || coalesce(search_comments, ''::tsvector)"
)

FUNCTIONS = [
    # The weighted words of some labels' names.
    """
    CREATE FUNCTION tasks.label_words(ids uuid[]) RETURNS tsvector
    LANGUAGE sql STABLE AS $$
        SELECT setweight(to_tsvector('english'::regconfig, coalesce(string_agg(name, ' '), '')), 'C')
        FROM tasks.labels WHERE id = ANY(ids)
    $$
    """,
    # The weighted words of a task's live comments, capped (see the module docstring).
    """
    CREATE FUNCTION tasks.comment_words(tid uuid) RETURNS tsvector
    LANGUAGE sql STABLE AS $$
        SELECT setweight(to_tsvector('english'::regconfig,
            left(coalesce(string_agg(body, ' ' ORDER BY created_at, id), ''), 200000)), 'D')
        FROM tasks.comments WHERE task_id = tid AND deleted_at IS NULL
    $$
    """,
    """
    CREATE FUNCTION tasks.tasks_label_words() RETURNS trigger
    LANGUAGE plpgsql AS $$
    BEGIN
        NEW.search_labels := CASE WHEN coalesce(cardinality(NEW.label_ids), 0) = 0 THEN NULL
                                  ELSE tasks.label_words(NEW.label_ids) END;
        RETURN NEW;
    END $$
    """,
    """
    CREATE FUNCTION tasks.comments_refresh_words() RETURNS trigger
    LANGUAGE plpgsql AS $$
    BEGIN
        IF TG_OP = 'INSERT' THEN
            UPDATE tasks.tasks t SET search_comments = tasks.comment_words(t.id)
            WHERE t.id IN (SELECT task_id FROM new_rows);
        ELSIF TG_OP = 'DELETE' THEN
            UPDATE tasks.tasks t SET search_comments = tasks.comment_words(t.id)
            WHERE t.id IN (SELECT task_id FROM old_rows);
        ELSE
            UPDATE tasks.tasks t SET search_comments = tasks.comment_words(t.id)
            WHERE t.id IN (
                SELECT n.task_id FROM new_rows n JOIN old_rows o ON o.id = n.id
                WHERE n.body IS DISTINCT FROM o.body
                   OR n.deleted_at IS DISTINCT FROM o.deleted_at
                   OR n.task_id <> o.task_id
                UNION
                SELECT o.task_id FROM new_rows n JOIN old_rows o ON o.id = n.id
                WHERE n.task_id <> o.task_id
            );
        END IF;
        RETURN NULL;
    END $$
    """,
    """
    CREATE FUNCTION tasks.labels_refresh_words() RETURNS trigger
    LANGUAGE plpgsql AS $$
    BEGIN
        UPDATE tasks.tasks t SET search_labels = tasks.label_words(t.label_ids)
        WHERE t.label_ids && (
            SELECT array_agg(n.id) FROM new_rows n JOIN old_rows o ON o.id = n.id
            WHERE n.name IS DISTINCT FROM o.name
        );
        RETURN NULL;
    END $$
    """,
]

TRIGGERS = [
    "CREATE TRIGGER tasks_label_words BEFORE INSERT OR UPDATE OF label_ids ON tasks.tasks"
    " FOR EACH ROW EXECUTE FUNCTION tasks.tasks_label_words()",
    "CREATE TRIGGER comments_words_insert AFTER INSERT ON tasks.comments"
    " REFERENCING NEW TABLE AS new_rows"
    " FOR EACH STATEMENT EXECUTE FUNCTION tasks.comments_refresh_words()",
    "CREATE TRIGGER comments_words_update AFTER UPDATE ON tasks.comments"
    " REFERENCING OLD TABLE AS old_rows NEW TABLE AS new_rows"
    " FOR EACH STATEMENT EXECUTE FUNCTION tasks.comments_refresh_words()",
    "CREATE TRIGGER comments_words_delete AFTER DELETE ON tasks.comments"
    " REFERENCING OLD TABLE AS old_rows"
    " FOR EACH STATEMENT EXECUTE FUNCTION tasks.comments_refresh_words()",
    "CREATE TRIGGER labels_words_rename AFTER UPDATE ON tasks.labels"
    " REFERENCING OLD TABLE AS old_rows NEW TABLE AS new_rows"
    " FOR EACH STATEMENT EXECUTE FUNCTION tasks.labels_refresh_words()",
]

DROP = [
    "DROP TRIGGER IF EXISTS labels_words_rename ON tasks.labels",
    "DROP TRIGGER IF EXISTS comments_words_delete ON tasks.comments",
    "DROP TRIGGER IF EXISTS comments_words_update ON tasks.comments",
    "DROP TRIGGER IF EXISTS comments_words_insert ON tasks.comments",
    "DROP TRIGGER IF EXISTS tasks_label_words ON tasks.tasks",
    "DROP FUNCTION IF EXISTS tasks.labels_refresh_words()",
    "DROP FUNCTION IF EXISTS tasks.comments_refresh_words()",
    "DROP FUNCTION IF EXISTS tasks.tasks_label_words()",
    "DROP FUNCTION IF EXISTS tasks.comment_words(uuid)",
    "DROP FUNCTION IF EXISTS tasks.label_words(uuid[])",
]


def _drop_search() -> None:
    op.drop_index("ix_tasks_search", table_name="tasks", schema="tasks")
    op.drop_column("tasks", "search", schema="tasks")


def _add_search(expression: str) -> None:
    op.add_column(
        "tasks",
        sa.Column(
            "search", postgresql.TSVECTOR(), sa.Computed(expression, persisted=True), nullable=False
        ),
        schema="tasks",
    )
    op.create_index(
        "ix_tasks_search", "tasks", ["search"], unique=False, schema="tasks",
        postgresql_using="gin",
    )


def upgrade() -> None:
    op.add_column("tasks", sa.Column("search_labels", postgresql.TSVECTOR()), schema="tasks")
    op.add_column("tasks", sa.Column("search_comments", postgresql.TSVECTOR()), schema="tasks")
    for sql in FUNCTIONS:
        op.execute(sql)
    # Back-fill while the generated column and its index are gone (cheaper writes), set-wise.
    _drop_search()
    op.execute(
        "UPDATE tasks.tasks SET search_labels = tasks.label_words(label_ids)"
        " WHERE cardinality(label_ids) > 0"
    )
    op.execute(
        """
        UPDATE tasks.tasks t SET search_comments = w.words
        FROM (
            SELECT task_id, setweight(to_tsvector('english'::regconfig,
                left(string_agg(body, ' ' ORDER BY created_at, id), 200000)), 'D') AS words
            FROM tasks.comments WHERE deleted_at IS NULL GROUP BY task_id
        ) w
        WHERE w.task_id = t.id
        """
    )
    _add_search(NEW)
    for sql in TRIGGERS:
        op.execute(sql)


def downgrade() -> None:
    for sql in DROP:
        op.execute(sql)
    _drop_search()
    op.drop_column("tasks", "search_comments", schema="tasks")
    op.drop_column("tasks", "search_labels", schema="tasks")
    _add_search(OLD)
