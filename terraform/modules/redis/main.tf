# ElastiCache Redis 7: a primary and a replica in another zone with automatic failover,
# encrypted at rest (the environment's key) and in transit (TLS, rediss://), with an AUTH token.
terraform {
  required_providers {
    aws    = { source = "hashicorp/aws", version = "~> 5.60" }
    random = { source = "hashicorp/random", version = "~> 3.6" }
  }
}

variable "name" {
  type        = string
  description = "Replication group id."
}

variable "vpc_id" {
  type        = string
  description = "VPC of the cache."
}

variable "subnet_ids" {
  type        = list(string)
  description = "Private subnets."
}

variable "client_security_group_ids" {
  type        = list(string)
  description = "Groups allowed to connect (the EKS cluster's)."
}

variable "node_type" {
  type        = string
  description = "Cache node size."
  default     = "cache.m6g.large"
}

variable "kms_key_arn" {
  type        = string
  description = "Key for data at rest."
}

resource "random_password" "auth" {
  length  = 48
  special = false
}

resource "aws_security_group" "this" {
  name        = "${var.name}-redis"
  description = "ElastiCache Redis for Taskflow: only from the cluster"
  vpc_id      = var.vpc_id

  ingress {
    description     = "Redis (TLS) from the EKS cluster"
    from_port       = 6379
    to_port         = 6379
    protocol        = "tcp"
    security_groups = var.client_security_group_ids
  }
}

resource "aws_elasticache_subnet_group" "this" {
  name       = var.name
  subnet_ids = var.subnet_ids
}

resource "aws_elasticache_replication_group" "this" {
  replication_group_id       = var.name
  description                = "Taskflow cache, breaker state, pub/sub fan-out"
  engine                     = "redis"
  engine_version             = "7.1"
  node_type                  = var.node_type
  num_cache_clusters         = 2
  automatic_failover_enabled = true
  multi_az_enabled           = true
  port                       = 6379
  subnet_group_name          = aws_elasticache_subnet_group.this.name
  security_group_ids         = [aws_security_group.this.id]
  at_rest_encryption_enabled = true
  kms_key_id                 = var.kms_key_arn
  transit_encryption_enabled = true
  auth_token                 = random_password.auth.result
  snapshot_retention_limit   = 7
  auto_minor_version_upgrade = true
}

output "primary_endpoint" {
  value = aws_elasticache_replication_group.this.primary_endpoint_address
}

output "auth_token" {
  value     = random_password.auth.result
  sensitive = true
}
