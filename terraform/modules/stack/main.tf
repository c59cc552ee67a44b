# Everything one environment needs, wired together; envs/<env> only choose sizes and names.
terraform {
  required_providers {
    aws    = { source = "hashicorp/aws", version = "~> 5.60" }
    random = { source = "hashicorp/random", version = "~> 3.6" }
    tls    = { source = "hashicorp/tls", version = "~> 4.0" }
  }
}

variable "environment" {
  type        = string
  description = "staging or production."
  validation {
    condition     = contains(["staging", "production"], var.environment)
    error_message = "environment must be staging or production."
  }
}

variable "vpc_cidr" {
  type        = string
  description = "VPC address range."
}

variable "azs" {
  type        = list(string)
  description = "Three availability zones."
}

variable "public_access_cidrs" {
  type        = list(string)
  description = "Ranges allowed to the EKS API endpoint from outside the VPC."
  default     = []
}

variable "namespace" {
  type        = string
  description = "Kubernetes namespace of the release."
  default     = "taskflow"
}

variable "sizes" {
  type = object({
    node_instance_types = list(string)
    node_min            = number
    node_max            = number
    db_instance_class   = string
    db_storage_gib      = number
    mq_instance_type    = string
    redis_node_type     = string
  })
  description = "Instance sizes of this environment."
}

variable "smtp_password" {
  type        = string
  description = "SMTP relay password (from the operator, never committed)."
  sensitive   = true
}

variable "caldav_password" {
  type        = string
  description = "CalDAV service account password."
  sensitive   = true
}

locals {
  name = "taskflow-${var.environment}"
}

module "kms" {
  source = "../kms"
  name   = local.name
}

module "network" {
  source      = "../network"
  name        = local.name
  cidr        = var.vpc_cidr
  azs         = var.azs
  kms_key_arn = module.kms.key_arn
}

module "eks" {
  source              = "../eks"
  name                = local.name
  subnet_ids          = module.network.private_subnet_ids
  public_access_cidrs = var.public_access_cidrs
  kms_key_arn         = module.kms.key_arn
  node_instance_types = var.sizes.node_instance_types
  node_min            = var.sizes.node_min
  node_max            = var.sizes.node_max
}

module "rds" {
  source                    = "../rds"
  name                      = local.name
  vpc_id                    = module.network.vpc_id
  subnet_ids                = module.network.private_subnet_ids
  client_security_group_ids = [module.eks.cluster_security_group_id]
  kms_key_arn               = module.kms.key_arn
  instance_class            = var.sizes.db_instance_class
  allocated_storage         = var.sizes.db_storage_gib
}

module "mq" {
  source                    = "../mq"
  name                      = local.name
  vpc_id                    = module.network.vpc_id
  subnet_ids                = module.network.private_subnet_ids
  client_security_group_ids = [module.eks.cluster_security_group_id]
  instance_type             = var.sizes.mq_instance_type
  kms_key_arn               = module.kms.key_arn
}

module "redis" {
  source                    = "../redis"
  name                      = local.name
  vpc_id                    = module.network.vpc_id
  subnet_ids                = module.network.private_subnet_ids
  client_security_group_ids = [module.eks.cluster_security_group_id]
  node_type                 = var.sizes.redis_node_type
  kms_key_arn               = module.kms.key_arn
}

module "ecr" {
  source      = "../ecr"
  kms_key_arn = module.kms.key_arn
}

module "secrets" {
  source           = "../secrets"
  name             = "taskflow/${var.environment}/app"
  kms_key_arn      = module.kms.key_arn
  db_host          = module.rds.address
  amqp_endpoint    = module.mq.amqps_endpoint
  amqp_username    = module.mq.username
  amqp_password    = module.mq.password
  redis_host       = module.redis.primary_endpoint
  redis_auth_token = module.redis.auth_token
  smtp_password    = var.smtp_password
  caldav_password  = var.caldav_password
}

# The services call no AWS API today: their role may only read their own secret, so that a
# later move from External Secrets to the CSI driver needs no new permission.
data "aws_iam_policy_document" "read_app_secret" {
  statement {
    actions   = ["secretsmanager:GetSecretValue", "secretsmanager:DescribeSecret"]
    resources = [module.secrets.secret_arn]
  }
  statement {
    actions   = ["kms:Decrypt"]
    resources = [module.kms.key_arn]
  }
}

module "app_role" {
  source            = "../irsa"
  name              = "${local.name}-app"
  oidc_provider_arn = module.eks.oidc_provider_arn
  oidc_issuer       = module.eks.oidc_issuer
  namespace         = var.namespace
  service_account   = "taskflow"
  policy_json       = data.aws_iam_policy_document.read_app_secret.json
}

module "external_secrets_role" {
  source            = "../irsa"
  name              = "${local.name}-external-secrets"
  oidc_provider_arn = module.eks.oidc_provider_arn
  oidc_issuer       = module.eks.oidc_issuer
  namespace         = "external-secrets"
  service_account   = "external-secrets"
  policy_json       = data.aws_iam_policy_document.read_app_secret.json
}

# Outputs named after the chart values they fill (docs/operations.md "Install").
output "ecr_registry" {
  description = "image.registry"
  value       = module.ecr.registry
}

output "service_account_role_arn" {
  description = "serviceAccount.annotations.eks.amazonaws.com/role-arn"
  value       = module.app_role.role_arn
}

output "external_secrets_role_arn" {
  description = "The External Secrets operator's service account annotation"
  value       = module.external_secrets_role.role_arn
}

output "app_secret_name" {
  description = "The Secrets Manager secret that External Secrets syncs into secrets.existingSecret"
  value       = module.secrets.secret_name
}

output "vpc_cidr" {
  description = "networkPolicy.dataStoreCidrs"
  value       = module.network.vpc_cidr
}

output "cluster_name" {
  description = "aws eks update-kubeconfig --name <this>"
  value       = module.eks.cluster_name
}

output "db_address" {
  description = "PostgreSQL host (for init.sql and backups)"
  value       = module.rds.address
}

output "db_master_secret_arn" {
  description = "The RDS-managed master password (init.sql and role passwords)"
  value       = module.rds.master_user_secret_arn
}

output "rabbitmq_console_url" {
  description = "Management UI/API of the broker (definitions import, parked queues)"
  value       = module.mq.console_url
}
