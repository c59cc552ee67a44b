# One repository per image (taskflow-<service>, taskflow-gateway): immutable tags, scanned on
# push, encrypted with the environment's key, untagged images expire.
terraform {
  required_providers {
    aws = { source = "hashicorp/aws", version = "~> 5.60" }
  }
}

variable "images" {
  type        = list(string)
  description = "Image names."
  default = [
    "taskflow-auth", "taskflow-tasks", "taskflow-notifications", "taskflow-audit",
    "taskflow-reporting", "taskflow-gateway",
  ]
}

variable "kms_key_arn" {
  type        = string
  description = "Key for image layers."
}

resource "aws_ecr_repository" "this" {
  for_each             = toset(var.images)
  name                 = each.value
  image_tag_mutability = "IMMUTABLE"

  image_scanning_configuration {
    scan_on_push = true
  }

  encryption_configuration {
    encryption_type = "KMS"
    kms_key         = var.kms_key_arn
  }
}

resource "aws_ecr_lifecycle_policy" "this" {
  for_each   = aws_ecr_repository.this
  repository = each.value.name
  policy = jsonencode({
    rules = [{
      rulePriority = 1
      description  = "Expire untagged images after 14 days"
      selection    = { tagStatus = "untagged", countType = "sinceImagePushed", countUnit = "days", countNumber = 14 }
      action       = { type = "expire" }
    }]
  })
}

output "registry" {
  value = split("/", values(aws_ecr_repository.this)[0].repository_url)[0]
}

output "repository_arns" {
  value = [for r in aws_ecr_repository.this : r.arn]
}
