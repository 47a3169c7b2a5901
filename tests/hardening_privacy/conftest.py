"""Fixtures: the end-to-end emulator and bot fixtures, reused for the hardening tests."""

from tests.e2e.conftest import emulator, sinau, start_sinau

__all__ = ["emulator", "sinau", "start_sinau"]
