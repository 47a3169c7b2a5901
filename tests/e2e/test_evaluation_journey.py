"""A course's final evaluation end to end, through the Bot API emulator: every lesson done, the
evaluation failed (no certificate, no JP), the missed questions reviewed, the retake refused
during the cooldown and passed after it; the certificate waits for the name and a valid NIP
(a wrong NIP gets its specific message and stores nothing), its PDF parses, its QR code
(rendered with pdftoppm, decoded with zbarimg) is the link the config implies, that link
verifies, and after an admin's /revoke_cert it says revoked."""

from __future__ import annotations

import glob
import io
import subprocess
from datetime import date, timedelta
from decimal import Decimal
from pathlib import Path
from typing import Any
from urllib.parse import parse_qs, urlparse

from pypdf import PdfReader

from bot.content.models import Course, Question
from bot.handlers.render import jp_text
from bot.learning.certificates import (
    deep_link_payload,
    format_long_date,
    new_code,
    verification_url,
)
from bot.sandbox.emulator import BotApiEmulator
from bot.storage.certificates import CertificateRecord, CertificateRepository
from tests.e2e.harness import Message, Sinau, button_data
from tests.e2e.learner import (
    ZONE,
    data_of,
    do_lesson,
    late_answer,
    morning,
    onboard,
    text,
    welcome,
    with_data,
)
from tests.e2e.trainer_screens import say

LANG = "id"
NIP = "198503122010012003"
MASKED = "1985**********2003"
PUBLIC_URL = "https://sinau.example.go.id"


def _shortest(sinau: Sinau) -> Course:
    """The shipped course with the fewest lessons (the quickest to finish)."""
    return min(sinau.services.catalogue.courses, key=lambda c: len(c.lessons))


def _question_in(course: Course, message: Message) -> tuple[str, Question]:
    """The (lesson key, question) of ``course`` whose text the message shows."""
    shown = text(message)
    found = [(lesson.key, q) for lesson in course.lessons for q in lesson.quiz
             if q.question.get(LANG) in shown]
    assert len(found) == 1, (shown, [q.key for _, q in found])
    return found[0]


def _when(moment: Any) -> str:
    """A moment as the bot writes it ('3 Maret 2026 pukul 09:01'), in Jakarta time."""
    local = moment.astimezone(ZONE)
    return say("review.when", LANG, date=format_long_date(local.date(), LANG),
               time=local.strftime("%H:%M"))


async def _jp_line(sinau: Sinau, learner: Any, jp: Decimal) -> str:
    """The /progress line of this year's JP."""
    user = await sinau.services.users.get(learner.id)
    assert user is not None
    report = await sinau.services.learning.progress(user)
    assert report.jp_year == jp
    return say("progress.jp", LANG, year=sinau.services.learning.today(user).year,
               jp=jp_text(jp, LANG), target=report.jp_target)


async def _take_evaluation(sinau: Sinau, learner: Any, course: Course, start: Message,
                           rights: list[bool]) -> tuple[Message, list[Message], set[tuple]]:
    """Press ev:s on ``start`` and answer every question (right or wrong as ``rights`` says);
    the question message as it ends, the messages sent after the last answer, and the
    (lesson key, question key) pairs answered wrongly."""
    sent = await sinau.press(learner, start, data=f"ev:s:{course.key}")
    question = with_data(sent, "ev:a:")
    title = course.title.get(LANG)
    missed: set[tuple] = set()
    after: list[Message] = []
    seen: set[tuple] = set()
    for number, right in enumerate(rights):
        assert text(question).startswith(say("evaluation.header", LANG, course=title,
                                             number=number + 1, total=len(rights)))
        lesson_key, q = _question_in(course, question)
        assert (lesson_key, q.key) not in seen  # no question twice in one attempt
        seen.add((lesson_key, q.key))
        options = [int(d.rsplit(":", 1)[1]) for d in button_data(question)]
        assert sorted(options) == list(range(len(q.options)))
        assert all(d.startswith(f"ev:a:{number}:") for d in button_data(question))
        choice = q.correct if right else next(o for o in options if o != q.correct)
        if not right:
            missed.add((lesson_key, q.key))
        after = await sinau.press(learner, question, data=f"ev:a:{number}:{choice}")
        question = sinau.message(learner, question["message_id"])
        # No right/wrong during the test: the next question replaces this one in place.
        assert "✅" not in text(question) and "❌" not in text(question)
        if number + 1 < len(rights):
            assert after == [], [text(m) for m in after]
    return question, after, missed


async def test_fail_review_retake_pass_certificate_verify_revoke(
    start_sinau: Any, emulator: BotApiEmulator, tmp_path: Path
) -> None:
    admin = emulator.add_user("Admin", username="admin_kec")
    sinau: Sinau = await start_sinau(access={"admin_ids": [admin.id]})
    await sinau.send(admin, "/start")
    await morning(sinau)
    learner = sinau.user("Sari", last_name="Rahayu", language_code=LANG)

    # Onboarding by buttons, the unit and the reminder time answered; the certificate name not
    # (it is asked when a certificate waits for it).
    first = await welcome(sinau, learner, LANG)
    await sinau.press(learner, first, data="ob:go")
    for answer in ("ob:unit:0", "ob:time:0730"):
        await late_answer(sinau, learner, first, answer)
    course = _shortest(sinau)
    title = course.title.get(LANG)
    user = await sinau.services.users.get(learner.id)
    assert user is not None and user.display_name is None and user.nip is None
    if user.current_course != course.key:
        listing = (await sinau.send(learner, "/courses"))[0]
        await sinau.emu.forge_callback(learner, sinau.emu.chat(learner), listing["message_id"],
                                       f"crs:pick:{course.key}")
        await sinau.settle()
    questions = min(sum(len(lesson.quiz) for lesson in course.lessons),
                    sinau.services.settings.learning.evaluation_questions)
    mark = course.pass_mark
    offer = say("evaluation.offer", LANG, course=title, questions=questions, mark=mark)

    # Every lesson, every quiz answer right: the last one offers the final evaluation instead
    # of a certificate.
    for _ in range(len(course.lessons) - 1):
        await do_lesson(sinau, learner)
    finished = await do_lesson(sinau, learner)
    assert not any("document" in m for m in finished)
    start = with_data(finished, "ev:s:")
    assert offer in text(start)
    assert data_of(start, "ev:s:") == f"ev:s:{course.key}"
    # /learn offers it too (the course's lessons are done, the evaluation is not passed).
    offered = await sinau.send(learner, "/learn")
    assert [text(m) for m in offered] == [offer]
    assert f"ev:s:{course.key}" in button_data(offered[0])
    # No JP yet: the course counts once its evaluation is passed.
    report = (await sinau.send(learner, "/progress"))[0]
    assert say("evaluation.progress_ready", LANG, course=title, mark=mark) in text(report)
    assert await _jp_line(sinau, learner, Decimal(0)) in text(report)
    assert f"ev:s:{course.key}" in button_data(report)

    # The first attempt: one right answer short of the pass mark.
    needed = -(-mark * questions // 100)  # right answers needed to pass
    rights = [True] * (needed - 1) + [False] * (questions - needed + 1)
    failed_at = sinau.clock.now()
    question, after, missed = await _take_evaluation(sinau, learner, course, start, rights)
    assert text(question) == say("evaluation.done", LANG, course=title)
    assert button_data(question) == []
    score = 100 * (needed - 1) // questions
    assert len(after) == 1, [text(m) for m in after]
    result = after[0]
    missed_lessons = [i for i, lesson in enumerate(course.lessons)
                      if any(key == lesson.key for key, _ in missed)]
    retake_at = failed_at + timedelta(
        minutes=sinau.services.settings.learning.evaluation_cooldown_minutes)
    for line in (
        say("evaluation.failed", LANG, course=title, score=score, mark=mark, right=needed - 1,
            total=questions),
        say("evaluation.study_again", LANG),
        say("evaluation.review_added", LANG),
        say("evaluation.retake_at", LANG, when=_when(retake_at)),
    ):
        assert line in text(result), (line, text(result))
    assert say("evaluation.passed", LANG, course=title, score=score, mark=mark,
               right=needed - 1, total=questions) not in text(result)
    assert button_data(result) == [
        *(f"ev:ls:{course.key}:{index}" for index in missed_lessons), "rv:go"]
    # No certificate, no JP, no question about the name or the NIP.
    assert not any("document" in m or "ob:" in str(button_data(m)) for m in after)
    user = await sinau.services.users.get(learner.id)
    assert user is not None
    assert await sinau.services.learning.certificate(user, course.key) is None
    assert await sinau.services.learning.pending_certificates(user) == []
    report = (await sinau.send(learner, "/progress"))[0]
    assert say("evaluation.progress_failed", LANG, course=title, score=score,
               mark=mark) in text(report)
    assert await _jp_line(sinau, learner, Decimal(0)) in text(report)

    # A retake before the cooldown is over is refused, saying when it opens.
    refused = await sinau.press(learner, report, data=f"ev:s:{course.key}")
    assert [text(m) for m in refused] == [
        say("evaluation.cooldown", LANG, course=title, when=_when(retake_at))]

    # "Study again" opens a lesson with a missed question.
    opened = await sinau.press(learner, result, data=f"ev:ls:{course.key}:{missed_lessons[0]}")
    card = with_data(opened, "ls:")
    assert text(card).startswith(course.lessons[missed_lessons[0]].title.get(LANG))

    # The missed questions are due in /review at once: answer them all right.
    review = with_data(await sinau.press(learner, result, data="rv:go"), "rv:a:")
    reviewed: set[tuple] = set()
    while any(d.startswith("rv:a:") for d in button_data(review)):
        lesson_key, q = _question_in(course, review)
        reviewed.add((lesson_key, q.key))
        await sinau.press(learner, review, data=f"rv:a:{q.correct}")
        review = sinau.message(learner, review["message_id"])
        assert "✅" in text(review), text(review)
        await sinau.press(learner, review, data=data_of(review, "rv:n"))
        review = sinau.message(learner, review["message_id"])
    assert reviewed == missed

    # After the cooldown the retake opens: exactly the pass mark passes.
    await sinau.advance(timedelta(
        minutes=sinau.services.settings.learning.evaluation_cooldown_minutes + 1))
    offered = await sinau.send(learner, "/learn")
    assert [text(m) for m in offered] == [offer]
    rights = [True] * needed + [False] * (questions - needed)
    question, after, _ = await _take_evaluation(sinau, learner, course, offered[0], rights)
    assert text(question) == say("evaluation.done", LANG, course=title)
    passed_score = 100 * needed // questions
    assert passed_score >= mark
    minutes = sum(lesson.minutes for lesson in course.lessons)
    jp = sinau.services.learning.format_minutes_jp(minutes, LANG)
    result = with_data(after, "pg:show")
    assert text(result) == "\n".join([
        say("evaluation.passed", LANG, course=title, score=passed_score, mark=mark,
            right=needed, total=questions),
        say("evaluation.credited", LANG, jp=jp)])
    assert not any("document" in m for m in after)
    # The certificate waits for the name to print, then for the NIP.
    name_question = with_data(after, "ob:name:")
    assert text(name_question) == say("onboarding.ask_name", LANG, name="Sari Rahayu")
    after = await sinau.press(learner, name_question, data="ob:name:keep")
    assert text(sinau.message(learner, name_question["message_id"])) == say(
        "onboarding.name_saved", LANG, name="Sari Rahayu")
    nip_question = with_data(after, "ob:nip:")
    assert text(nip_question) == say("onboarding.ask_nip", LANG)
    assert button_data(nip_question) == ["ob:nip:skip"]
    assert not any("document" in m for m in after)

    # A wrong NIP gets what is wrong with it, and nothing is stored.
    for typed, problem in (("12345", "length"), ("198513122010012003", "birth_date")):
        replies = await sinau.send(learner, typed)
        assert [text(m) for m in replies] == [say(f"onboarding.bad_nip_{problem}", LANG)]
        user = await sinau.services.users.get(learner.id)
        assert user is not None and user.nip is None
        assert await sinau.services.learning.certificate(user, course.key) is None
    # The right one: stored, and the certificate comes.
    replies = await sinau.send(learner, NIP)
    assert text(replies[0]) == say("onboarding.nip_saved", LANG, nip=NIP)
    documents = [m for m in replies if "document" in m]
    assert len(documents) == 1, [text(m) for m in replies]
    user = await sinau.services.users.get(learner.id)
    assert user is not None and user.nip == NIP and user.display_name == "Sari Rahayu"
    record = await sinau.services.learning.certificate(user, course.key)
    assert record is not None and record.score == passed_score
    code = record.code
    assert text(documents[0]) == say("certificate.sent", LANG, course=title, code=code)

    # The PDF parses and says who, what and how well.
    pdf = sinau.emu.file_bytes(documents[0]["document"]["file_id"])
    page = PdfReader(io.BytesIO(pdf)).pages[0].extract_text()
    for fragment in ("Sari Rahayu", NIP, code, title, str(passed_score), jp,
                     say("certificate.pdf_score", LANG, score=passed_score)):
        assert fragment in page, (fragment, page)
    # Its QR code is the bot's deep link (no web.public_url here).
    assert sinau.app is not None and sinau.app.bot.username
    expected_url = f"https://t.me/{sinau.app.bot.username}?start={deep_link_payload(code)}"
    assert expected_url == verification_url(code, public_url=None,
                                            bot_username=sinau.app.bot.username)
    url = _decode_qr(pdf, tmp_path)
    assert url == expected_url
    [payload] = parse_qs(urlparse(url).query)["start"]

    # /progress: passed, the course's JP this year, one certificate.
    report = (await sinau.send(learner, "/progress"))[0]
    assert say("evaluation.progress_passed", LANG, course=title,
               score=passed_score) in text(report)
    assert await _jp_line(sinau, learner, Decimal(jp.replace(",", "."))) in text(report)
    assert say("progress.certificates", LANG, count=1) in text(report)
    assert f"ev:s:{course.key}" not in button_data(report)

    # Someone who never used the bot follows the link: the certificate is valid, NIP masked.
    verifier = sinau.user("Budi", language_code=LANG)
    replies = await sinau.send(verifier, f"/start {payload}")
    assert len(replies) == 1, [text(m) for m in replies]
    verdict = text(replies[0])
    assert verdict.startswith(say("certificate.verify_valid", LANG, code=code,
                                  name="Sari Rahayu", unit=user.unit or ""))
    assert say("certificate.verify_nip", LANG, nip=MASKED) in verdict and NIP not in verdict
    assert say("certificate.verify_score", LANG, score=passed_score) in verdict

    # An admin revokes it; the same link now says revoked.
    done = text((await sinau.send(admin, f"/revoke_cert {code} salah cetak"))[-1])
    assert code in done and "salah cetak" in done
    stored = await CertificateRepository(sinau.services.db).by_code(code)
    assert stored is not None and stored.revoked_at is not None
    replies = await sinau.send(verifier, f"/start {payload}")
    assert len(replies) == 1, [text(m) for m in replies]
    assert text(replies[0]).startswith(say(
        "certificate.verify_revoked", LANG,
        date=format_long_date(stored.revoked_at.astimezone(ZONE).date(), LANG), code=code,
        name="Sari Rahayu", unit=user.unit or "", reason="salah cetak")), text(replies[0])


def _decode_qr(pdf: bytes, folder: Path) -> str:
    """Render the PDF's first page (pdftoppm) and decode its one QR code (zbarimg)."""
    source = folder / "cert.pdf"
    source.write_bytes(pdf)
    subprocess.run(["pdftoppm", "-r", "150", "-png", "-f", "1", "-l", "1", str(source),
                    str(folder / "out")], check=True, timeout=30)
    [image] = glob.glob(str(folder / "out-*.png"))
    decoded = subprocess.run(["zbarimg", "--raw", "-q", image], check=True, timeout=30,
                             capture_output=True, text=True).stdout.strip()
    assert decoded and "\n" not in decoded, decoded
    return decoded


async def test_with_a_public_url_the_qr_code_is_the_web_page(
    start_sinau: Any, tmp_path: Path
) -> None:
    """With web.public_url set, the QR code of a certificate the bot sends is
    {public_url}/verify/{code} (issued straight through the repository: the evaluation is the
    test above's business)."""
    sinau: Sinau = await start_sinau(web={"public_url": PUBLIC_URL + "/"})
    learner = sinau.user("Sari", last_name="Rahayu", language_code=LANG)
    await onboard(sinau, learner, LANG)
    course = _shortest(sinau)
    record, created = await CertificateRepository(sinau.services.db).issue(CertificateRecord(
        code=new_code(), user_id=learner.id, course_key=course.key,
        course_title=course.title.get(LANG), name="Sari Rahayu", unit="Kelurahan Petompon",
        minutes=40, completed_on=date(2026, 3, 2), language=LANG,
        issued_at=sinau.clock.now(), nip=NIP, score=80, issuer="Kecamatan Gajahmungkur",
    ))
    assert created
    report = (await sinau.send(learner, "/progress"))[0]
    sent = await sinau.press(learner, report, data=f"pg:c:{course.key}")
    [document] = [m for m in sent if "document" in m]
    pdf = sinau.emu.file_bytes(document["document"]["file_id"])
    assert _decode_qr(pdf, tmp_path) == f"{PUBLIC_URL}/verify/{record.code}"
    page = PdfReader(io.BytesIO(pdf)).pages[0].extract_text()
    assert f"{PUBLIC_URL}/verify/{record.code}" in page.replace("\n", "")
