# An IAM role that exactly one Kubernetes service account can assume (IRSA).
terraform {
  required_providers {
    aws = { source = "hashicorp/aws", version = "~> 5.60" }
  }
}

variable "name" {
  type        = string
  description = "Role name."
}

variable "oidc_provider_arn" {
  type        = string
  description = "The cluster's OIDC provider."
}

variable "oidc_issuer" {
  type        = string
  description = "The cluster's OIDC issuer URL."
}

variable "namespace" {
  type        = string
  description = "Namespace of the service account."
}

variable "service_account" {
  type        = string
  description = "Name of the service account."
}

variable "policy_json" {
  type        = string
  description = "What the role may do (least privilege)."
}

locals {
  issuer = replace(var.oidc_issuer, "https://", "")
}

data "aws_iam_policy_document" "assume" {
  statement {
    actions = ["sts:AssumeRoleWithWebIdentity"]
    principals {
      type        = "Federated"
      identifiers = [var.oidc_provider_arn]
    }
    condition {
      test     = "StringEquals"
      variable = "${local.issuer}:sub"
      values   = ["system:serviceaccount:${var.namespace}:${var.service_account}"]
    }
    condition {
      test     = "StringEquals"
      variable = "${local.issuer}:aud"
      values   = ["sts.amazonaws.com"]
    }
  }
}

resource "aws_iam_role" "this" {
  name               = var.name
  assume_role_policy = data.aws_iam_policy_document.assume.json
}

resource "aws_iam_role_policy" "this" {
  role   = aws_iam_role.this.id
  policy = var.policy_json
}

output "role_arn" {
  value = aws_iam_role.this.arn
}
