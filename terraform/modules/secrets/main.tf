# The application secret in Secrets Manager: one JSON object whose keys are exactly the chart's
# `secrets.keys` (synced into the cluster by External Secrets as the Secret the chart's
# `secrets.existingSecret` names). Every service gets a database role password of its own;
# the runbook sets them on the roles of infra/postgres/init.sql.
terraform {
  required_providers {
    aws    = { source = "hashicorp/aws", version = "~> 5.60" }
    random = { source = "hashicorp/random", version = "~> 3.6" }
  }
}

variable "name" {
  type        = string
  description = "Secret name, e.g. taskflow/production/app."
}

variable "kms_key_arn" {
  type        = string
  description = "Key for the secret."
}

variable "db_host" {
  type        = string
  description = "PostgreSQL address."
}

variable "amqp_endpoint" {
  type        = string
  description = "amqps://host:5671 of the broker."
}

variable "amqp_username" {
  type        = string
  description = "Broker user."
}

variable "amqp_password" {
  type        = string
  description = "Broker password."
  sensitive   = true
}

variable "redis_host" {
  type        = string
  description = "Redis primary endpoint."
}

variable "redis_auth_token" {
  type        = string
  description = "Redis AUTH token."
  sensitive   = true
}

variable "smtp_password" {
  type        = string
  description = "SMTP relay password (SES SMTP credentials)."
  sensitive   = true
}

variable "caldav_password" {
  type        = string
  description = "CalDAV service account password."
  sensitive   = true
}

locals {
  roles = ["auth", "tasks", "notifications", "audit", "audit_api", "audit_writer", "audit_retention", "reporting"]
  amqp  = replace(var.amqp_endpoint, "amqps://", "amqps://${var.amqp_username}:${var.amqp_password}@")
  redis = "rediss://:${var.redis_auth_token}@${var.redis_host}:6379/0"
  db    = { for r in local.roles : r => "postgresql+asyncpg://taskflow_${r}:${random_password.db[r].result}@${var.db_host}:5432/taskflow?ssl=require" }
}

resource "random_password" "db" {
  for_each = toset(local.roles)
  length   = 32
  special  = false
}

# The key that encrypts TOTP secrets and signing keys in auth (base64 of 32 bytes).
resource "random_bytes" "kek" {
  length = 32
}

resource "aws_secretsmanager_secret" "app" {
  name                    = var.name
  description             = "Taskflow application settings that are secret (chart secrets.keys)"
  kms_key_id              = var.kms_key_arn
  recovery_window_in_days = 30
}

resource "aws_secretsmanager_secret_version" "app" {
  secret_id = aws_secretsmanager_secret.app.id
  secret_string = jsonencode({
    AUTH_DATABASE_URL             = local.db["auth"]
    AUTH_AMQP_URL                 = local.amqp
    AUTH_REDIS_URL                = local.redis
    AUTH_KEY_ENCRYPTION_KEY       = random_bytes.kek.base64
    TASKS_DATABASE_URL            = local.db["tasks"]
    TASKS_AMQP_URL                = local.amqp
    TASKS_REDIS_URL               = local.redis
    NOTIFICATIONS_DATABASE_URL    = local.db["notifications"]
    NOTIFICATIONS_AMQP_URL        = local.amqp
    NOTIFICATIONS_REDIS_URL       = local.redis
    NOTIFICATIONS_SMTP_PASSWORD   = var.smtp_password
    NOTIFICATIONS_CALDAV_PASSWORD = var.caldav_password
    AUDIT_DATABASE_URL            = local.db["audit_api"]
    AUDIT_WORKER_DATABASE_URL     = local.db["audit_writer"]
    AUDIT_MIGRATION_DATABASE_URL  = local.db["audit"]
    AUDIT_RETENTION_DATABASE_URL  = local.db["audit_retention"]
    AUDIT_AMQP_URL                = local.amqp
    AUDIT_REDIS_URL               = local.redis
    REPORTING_DATABASE_URL        = local.db["reporting"]
    REPORTING_AMQP_URL            = local.amqp
    REPORTING_REDIS_URL           = local.redis
  })

  # The KEK must never change under a running system (it decrypts stored secrets); rotate it
  # with the runbook, not by re-applying.
  lifecycle {
    ignore_changes = [secret_string]
  }
}

output "secret_arn" {
  value = aws_secretsmanager_secret.app.arn
}

output "secret_name" {
  value = aws_secretsmanager_secret.app.name
}
