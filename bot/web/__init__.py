"""Sinau's HTTP side: the webhook endpoint and the health check (aiohttp)."""
