# Each output fills one chart value (see the description); `terraform output -json` feeds the
# deploy workflow and docs/operations.md "Install".
output "ecr_registry" {
  description = "image.registry"
  value       = module.stack.ecr_registry
}

output "service_account_role_arn" {
  description = "serviceAccount.annotations.eks.amazonaws.com/role-arn"
  value       = module.stack.service_account_role_arn
}

output "external_secrets_role_arn" {
  description = "The External Secrets operator's service account annotation"
  value       = module.stack.external_secrets_role_arn
}

output "app_secret_name" {
  description = "Secrets Manager secret synced into secrets.existingSecret"
  value       = module.stack.app_secret_name
}

output "vpc_cidr" {
  description = "networkPolicy.dataStoreCidrs"
  value       = module.stack.vpc_cidr
}

output "cluster_name" {
  description = "EKS cluster"
  value       = module.stack.cluster_name
}

output "db_address" {
  description = "PostgreSQL host"
  value       = module.stack.db_address
}

output "db_master_secret_arn" {
  description = "RDS-managed master password"
  value       = module.stack.db_master_secret_arn
}

output "rabbitmq_console_url" {
  description = "Amazon MQ management"
  value       = module.stack.rabbitmq_console_url
}
