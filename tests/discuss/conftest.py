"""Fixtures of the comment tests: the demo's cast, the real mail and robot servers."""

from __future__ import annotations

from tests.notify.servers import robot_server, smtp, smtp_server

__all__ = ["robot_server", "smtp", "smtp_server"]
