"""Scheduling: what is due when (nudges now; scheduled broadcasts and prompts later).

Services here are plain Python over the storage layer and an injected clock; ``tick`` is the
only module that knows python-telegram-bot's JobQueue.
"""
