# Production: three zones, multi-AZ data stores, deletion protection everywhere.
# Deployed from a version tag, after approval, by .github/workflows/deploy.yml.
terraform {
  required_version = ">= 1.6"

  # Remote state: versioned, encrypted S3 with DynamoDB locking (created once by hand or by a
  # bootstrap stack; see docs/operations.md "Terraform state").
  backend "s3" {
    bucket         = "taskflow-terraform-state"
    key            = "production/terraform.tfstate"
    region         = "eu-west-1"
    dynamodb_table = "taskflow-terraform-locks"
    encrypt        = true
  }

  required_providers {
    aws    = { source = "hashicorp/aws", version = "~> 5.60" }
    random = { source = "hashicorp/random", version = "~> 3.6" }
    tls    = { source = "hashicorp/tls", version = "~> 4.0" }
  }
}

provider "aws" {
  region = "eu-west-1"
  default_tags {
    tags = { Project = "taskflow", Environment = "production", ManagedBy = "terraform" }
  }
}

variable "smtp_password" {
  type        = string
  description = "SMTP relay password (TF_VAR_smtp_password)."
  sensitive   = true
}

variable "caldav_password" {
  type        = string
  description = "CalDAV service account password (TF_VAR_caldav_password)."
  sensitive   = true
}

variable "public_access_cidrs" {
  type        = list(string)
  description = "Ranges allowed to the EKS API (CI runners, VPN)."
  default     = []
}

module "stack" {
  source              = "../../modules/stack"
  environment         = "production"
  vpc_cidr            = "10.40.0.0/16"
  azs                 = ["eu-west-1a", "eu-west-1b", "eu-west-1c"]
  public_access_cidrs = var.public_access_cidrs
  smtp_password       = var.smtp_password
  caldav_password     = var.caldav_password
  sizes = {
    node_instance_types = ["m6i.large"]
    node_min            = 3
    node_max            = 12
    db_instance_class   = "db.m6g.xlarge"
    db_storage_gib      = 200
    mq_instance_type    = "mq.m5.large"
    redis_node_type     = "cache.m6g.large"
  }
}
