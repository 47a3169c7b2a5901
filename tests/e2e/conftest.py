"""End-to-end tests use the root fixtures (tests/conftest.py): emulator, start_sinau, sinau."""
