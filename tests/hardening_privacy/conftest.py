"""The hardening tests use the root fixtures (tests/conftest.py): emulator, the bot."""
