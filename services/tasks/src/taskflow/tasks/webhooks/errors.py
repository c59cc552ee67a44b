"""Errors of the webhooks domain."""

from __future__ import annotations

from taskflow.common.errors import Conflict


class TooManyWebhooks(Conflict):
    """A project has a bounded number of endpoints (each costs a send per event)."""

    default_code = "too_many_webhooks"
    default_title = "The project has the most webhooks it may have"


class DeliveryNotFailed(Conflict):
    """Only a delivery that gave up can be redelivered (a pending one is still trying)."""

    default_code = "delivery_pending"
    default_title = "The delivery is still being tried"
