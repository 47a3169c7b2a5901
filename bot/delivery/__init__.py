"""Delivery: the one rate-limited path for every message the bot sends.

``limiter`` keeps Telegram's flood limits for all Bot API traffic (interactive replies first);
``sender`` is the bulk sender used by nudges, broadcasts and discussion prompts; ``models`` and
``stats`` are plain Python shared with the services.
"""
