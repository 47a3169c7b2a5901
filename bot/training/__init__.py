"""Trainer tools: roles, cohorts and invite links, broadcasts, stats, exports, content upload.

Plain async Python with an injected clock; no telegram imports.
"""
