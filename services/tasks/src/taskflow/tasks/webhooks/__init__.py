"""Outgoing webhooks of a project (Standard Webhooks): subscriptions, deliveries, attempts.

The api manages subscriptions (project admins only); the `webhooks` worker process fans
events out into deliveries (consumer of queue `tasks.webhooks`) and sends them (dispatcher).
"""
