"""Abuse safety: per-member rate rules shared by the inbound flood gate and the discussions."""

from bot.safety.flood import FloodDecision, FloodGate
from bot.safety.rate import MemberRate

__all__ = ["FloodDecision", "FloodGate", "MemberRate"]
