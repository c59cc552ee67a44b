"""Event ids: the time-ordered UUIDv7 of :mod:`taskflow.common.ids`, under its old address."""

from taskflow.common.ids import uuid7 as uuid7
