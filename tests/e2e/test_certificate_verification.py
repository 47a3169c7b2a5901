"""Verifying and revoking certificates end to end, through the Bot API emulator: /verify, the
QR code's deep link (/start v_<code>) for someone who never used the bot, and an admin's
/revoke_cert, with the holder told once in private."""

from __future__ import annotations

import html
import re
from datetime import date
from typing import Any

from bot.i18n import t
from bot.learning.certificates import deep_link_payload, format_long_date, new_code
from bot.sandbox.emulator import BotApiEmulator
from bot.storage.certificates import CertificateRecord, CertificateRepository
from tests.e2e.harness import Sinau, button_data
from tests.e2e.learner import ZONE, onboard, text

NIP = "198503122010012003"
MASKED = "1985**********2003"
ISSUER = "Kecamatan Gajahmungkur, Kota Semarang"


async def _certificate(sinau: Sinau, user: Any, course_key: str = "c1") -> CertificateRecord:
    """Issue a certificate to an onboarded learner straight through the repository (the course
    and its final evaluation are other tests' business)."""
    now = sinau.clock.now()
    record, created = await CertificateRepository(sinau.services.db).issue(CertificateRecord(
        code=new_code(), user_id=user.id, course_key=course_key,
        course_title="Pelayanan publik yang prima", name="Sari Rahayu",
        unit="Kelurahan Petompon", minutes=90, completed_on=date(2026, 3, 2), language="id",
        issued_at=now, nip=NIP, score=85, issuer=ISSUER,
    ))
    assert created
    return record


def _plain(html_text: str) -> str:
    """What a user sees of a catalogue text (tags gone, entities read)."""
    return html.unescape(re.sub(r"<[^<>]*>", "", html_text))


def _notices(sinau: Sinau, user: Any, code: str) -> list[str]:
    """The revocation notices in the holder's private chat."""
    return [text(m) for m in sinau.emu.messages(user.id)
            if code in text(m) and "dicabut oleh admin" in text(m)]


async def test_verify_deep_link_and_revocation(start_sinau: Any,
                                               emulator: BotApiEmulator) -> None:
    admin = emulator.add_user("Admin", username="admin_kec")
    sinau: Sinau = await start_sinau(access={"admin_ids": [admin.id]})
    await sinau.send(admin, "/start")
    learner = sinau.user("Sari", last_name="Rahayu")
    await onboard(sinau, learner, "id")
    record = await _certificate(sinau, learner)
    code = record.code

    # Someone who never used the bot scans the QR code: one answer, no onboarding.
    verifier = sinau.user("Budi", language_code="id")
    replies = await sinau.send(verifier, f"/start {deep_link_payload(code)}")
    assert len(replies) == 1, [text(m) for m in replies]
    verdict = text(replies[0])
    assert verdict.startswith("✅ Sertifikat sah.") and code in verdict
    for expected in ("milik Sari Rahayu (Kelurahan Petompon)", f"NIP: {MASKED}",
                     "Kursus: Pelayanan publik yang prima · 2,0 JP",
                     "Nilai evaluasi akhir: 85", "Tanggal selesai: 2 Maret 2026",
                     f"Diterbitkan oleh: {ISSUER}"):
        assert expected in verdict, verdict
    assert NIP not in verdict
    assert button_data(replies[0]) == []
    seen = await sinau.services.users.get(verifier.id)
    assert seen is None or not seen.onboarded

    # A typed code in any case; an unknown code; something that is no code at all.
    typed = text((await sinau.send(verifier, f"/verify {code.lower()}"))[0])
    assert typed == verdict
    unknown = text((await sinau.send(verifier, "/verify SNU-AAAAA-AAAAA-AAAAA"))[0])
    assert unknown == _plain(t("id", "certificate.verify_not_found",
                               code="SNU-AAAAA-AAAAA-AAAAA"))
    guessed = text((await sinau.send(verifier, "/start v_SNUAAAAAAAAAAAAAAA"))[0])
    assert "tidak ditemukan" in guessed and "Sari" not in guessed
    malformed = text((await sinau.send(verifier, "/verify hello"))[0])
    assert "bukan kode sertifikat Sinau" in malformed and "Sari" not in malformed

    # In a group the NIP is not shown at all, not even masked.
    group = emulator.create_group("Grup ASN", members=[verifier, learner])
    in_group = text((await sinau.send(verifier, f"/verify {code}", chat=group))[-1])
    assert "milik Sari Rahayu" in in_group
    assert MASKED not in in_group and NIP not in in_group and "1985" not in in_group
    assert _plain(t("id", "certificate.verify_nip_private")) in in_group

    # Only an admin revokes: the learner gets the standard refusal and nothing changes.
    refused = await sinau.send(learner, f"/revoke_cert {code} saya sendiri")
    assert [text(m) for m in refused] == [_plain(t("id", "people.refused_admin"))]
    assert (await sinau.services.learning.verify_certificate(code, issuer="")).status == "valid"
    # A reason is required.
    usage = await sinau.send(admin, f"/revoke_cert {code}")
    assert [text(m) for m in usage] == [_plain(t("id", "certificate.revoke_usage"))]

    done = text((await sinau.send(admin, f"/revoke_cert {code} nama salah cetak"))[-1])
    assert code in done and "sudah dicabut" in done and "Alasan: nama salah cetak" in done
    assert _plain(t("id", "certificate.revoke_told")) in done
    await sinau.settle()
    assert len(_notices(sinau, learner, code)) == 1
    stored = await CertificateRepository(sinau.services.db).by_code(code)
    assert stored is not None and stored.revoked_by == admin.id
    assert stored.revoked_reason == "nama salah cetak"

    # Verification now says revoked, with the reason and the date.
    revoked = text((await sinau.send(verifier, f"/start {deep_link_payload(code)}"))[0])
    assert stored.revoked_at is not None
    today = format_long_date(stored.revoked_at.astimezone(ZONE).date(), "id")
    assert revoked.startswith(f"⛔ Sertifikat ini sudah dicabut pada {today}."), revoked
    assert "Alasan: nama salah cetak" in revoked and "milik Sari Rahayu" in revoked

    # A second revocation changes nothing and tells nobody again; an unknown code neither.
    again = text((await sinau.send(admin, f"/revoke_cert {code} lagi"))[-1])
    assert "sudah dicabut sebelumnya" in again and "Alasan: nama salah cetak" in again
    missing = text((await sinau.send(admin, "/revoke_cert SNU-AAAAA-AAAAA-AAAAA salah"))[-1])
    assert "tidak ditemukan" in missing
    await sinau.settle()
    assert len(_notices(sinau, learner, code)) == 1

    # The learner's /progress button no longer sends the revoked PDF.
    before = len([m for m in sinau.emu.messages(learner.id) if "document" in m])
    shown = await sinau.send(learner, "/progress")
    after = await sinau.press(learner, shown[-1], data="pg:c:c1")
    assert [m for m in after if "document" in m] == []
    assert any("sudah dicabut pada" in text(m) for m in after)
    assert len([m for m in sinau.emu.messages(learner.id) if "document" in m]) == before


async def test_revoking_for_a_holder_who_blocked_the_bot(start_sinau: Any,
                                                         emulator: BotApiEmulator) -> None:
    admin = emulator.add_user("Admin", username="admin_kec", language_code="en")
    sinau: Sinau = await start_sinau(access={"admin_ids": [admin.id]})
    await sinau.send(admin, "/start")
    learner = sinau.user("Sari", last_name="Rahayu")
    await onboard(sinau, learner, "id")
    record = await _certificate(sinau, learner)
    emulator.block_bot(learner)

    done = text((await sinau.send(admin, f"/revoke_cert {record.code} duplicate"))[-1])
    assert "is revoked" in done and _plain(t("en", "certificate.revoke_not_told")) in done
    verdict = await sinau.services.learning.verify_certificate(record.code, issuer="")
    assert verdict.status == "revoked"
    holder = await sinau.services.users.get(learner.id)
    assert holder is not None and not holder.is_active

