-- Taskflow database bootstrap: one schema per service, one role per service whose
-- privileges cover its own schema only. Idempotent: safe to run again on every start
-- and once per test database (roles are cluster-wide, schemas are per database).
--
-- Run as a superuser against the target database:
--   psql -v ON_ERROR_STOP=1 -d taskflow -f infra/postgres/init.sql
-- Passwords are not set here: local development uses trust/peer auth on loopback and
-- production sets them from the secret store (terraform/, helm/).

DO $$
DECLARE
    r text;
BEGIN
    FOREACH r IN ARRAY ARRAY[
        'taskflow_auth', 'taskflow_tasks', 'taskflow_notifications',
        'taskflow_audit', 'taskflow_audit_api', 'taskflow_audit_retention',
        'taskflow_audit_writer', 'taskflow_reporting'
    ] LOOP
        IF NOT EXISTS (SELECT 1 FROM pg_roles WHERE rolname = r) THEN
            EXECUTE format('CREATE ROLE %I LOGIN NOSUPERUSER NOCREATEDB NOCREATEROLE', r);
        END IF;
    END LOOP;
END
$$;

-- Nobody but the owner may create objects in public, and no service gets the database's
-- default TEMP/CONNECT grants beyond what it needs.
REVOKE CREATE ON SCHEMA public FROM PUBLIC;

DO $$
BEGIN
    EXECUTE format('REVOKE ALL ON DATABASE %I FROM PUBLIC', current_database());
    EXECUTE format(
        'GRANT CONNECT ON DATABASE %I TO taskflow_auth, taskflow_tasks, taskflow_notifications, '
        'taskflow_audit, taskflow_audit_api, taskflow_audit_retention, taskflow_audit_writer, '
        'taskflow_reporting',
        current_database());
END
$$;

CREATE SCHEMA IF NOT EXISTS auth AUTHORIZATION taskflow_auth;
CREATE SCHEMA IF NOT EXISTS tasks AUTHORIZATION taskflow_tasks;
CREATE SCHEMA IF NOT EXISTS notifications AUTHORIZATION taskflow_notifications;
CREATE SCHEMA IF NOT EXISTS audit AUTHORIZATION taskflow_audit;
CREATE SCHEMA IF NOT EXISTS reporting AUTHORIZATION taskflow_reporting;

-- Each role sees its own schema first and nothing else by default.
ALTER ROLE taskflow_auth SET search_path = auth;
ALTER ROLE taskflow_tasks SET search_path = tasks;
ALTER ROLE taskflow_notifications SET search_path = notifications;
ALTER ROLE taskflow_audit SET search_path = audit;
ALTER ROLE taskflow_audit_api SET search_path = audit;
ALTER ROLE taskflow_audit_retention SET search_path = audit;
ALTER ROLE taskflow_audit_writer SET search_path = audit;
ALTER ROLE taskflow_reporting SET search_path = reporting;

-- The audit log is read by its api through a read-only role, appended to by the consumer's
-- role (taskflow_audit_writer: INSERT/SELECT on the log, never its owner, so it cannot drop
-- the append-only triggers) and trimmed only by the retention job's role. The owner
-- (taskflow_audit) runs migrations only, and grants the others what they need there.
GRANT USAGE ON SCHEMA audit TO taskflow_audit_api, taskflow_audit_retention, taskflow_audit_writer;
