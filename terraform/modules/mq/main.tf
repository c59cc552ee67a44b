# Amazon MQ for RabbitMQ: a three-node cluster across zones in the private subnets (AMQPS on
# 5671), general logs in CloudWatch. Queues are declared by the services themselves; the
# exchange and policies of infra/rabbitmq/definitions.json are imported once (runbook).
terraform {
  required_providers {
    aws    = { source = "hashicorp/aws", version = "~> 5.60" }
    random = { source = "hashicorp/random", version = "~> 3.6" }
  }
}

variable "name" {
  type        = string
  description = "Broker name."
}

variable "vpc_id" {
  type        = string
  description = "VPC of the broker."
}

variable "subnet_ids" {
  type        = list(string)
  description = "Private subnets (three for a cluster)."
}

variable "client_security_group_ids" {
  type        = list(string)
  description = "Groups allowed to connect (the EKS cluster's)."
}

variable "instance_type" {
  type        = string
  description = "Broker instance size."
  default     = "mq.m5.large"
}

variable "kms_key_arn" {
  type        = string
  description = "Key for the broker's storage."
}

resource "random_password" "broker" {
  length  = 32
  special = false
}

resource "aws_security_group" "this" {
  name        = "${var.name}-rabbitmq"
  description = "Amazon MQ for Taskflow: AMQPS and the management API from the cluster"
  vpc_id      = var.vpc_id

  ingress {
    description     = "AMQPS from the EKS cluster"
    from_port       = 5671
    to_port         = 5671
    protocol        = "tcp"
    security_groups = var.client_security_group_ids
  }
  ingress {
    description     = "Management API (HTTPS) from the EKS cluster, for the runbook's commands"
    from_port       = 443
    to_port         = 443
    protocol        = "tcp"
    security_groups = var.client_security_group_ids
  }
}

resource "aws_mq_broker" "this" {
  broker_name                = var.name
  engine_type                = "RabbitMQ"
  engine_version             = "3.13"
  host_instance_type         = var.instance_type
  deployment_mode            = "CLUSTER_MULTI_AZ"
  publicly_accessible        = false
  subnet_ids                 = var.subnet_ids
  security_groups            = [aws_security_group.this.id]
  auto_minor_version_upgrade = true

  encryption_options {
    use_aws_owned_key = false
    kms_key_id        = var.kms_key_arn
  }

  logs {
    general = true
  }

  maintenance_window_start_time {
    day_of_week = "SUNDAY"
    time_of_day = "04:00"
    time_zone   = "UTC"
  }

  user {
    username = "taskflow"
    password = random_password.broker.result
  }
}

output "amqps_endpoint" {
  value = aws_mq_broker.this.instances[0].endpoints[0]
}

output "console_url" {
  value = aws_mq_broker.this.instances[0].console_url
}

output "username" {
  value = "taskflow"
}

output "password" {
  value     = random_password.broker.result
  sensitive = true
}
