"""Personal data rights (UU No. 27 Tahun 2022): export, erasure and retention, plain Python."""

from bot.privacy.service import PrivacyService

__all__ = ["PrivacyService"]
