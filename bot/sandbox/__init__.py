"""Local sandbox tooling: a strict Telegram Bot API emulator and helpers built on it."""
