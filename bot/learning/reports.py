"""Progress, the learner snapshot and certificates: the reporting half of LearningService."""

from __future__ import annotations

from datetime import date
from typing import TYPE_CHECKING

from bot.content.models import Course
from bot.i18n import choose_language
from bot.learning import certificates as certs
from bot.learning import streaks
from bot.learning.jp import format_jp, jp_value
from bot.learning.views import LearnerSnapshot, ProgressReport
from bot.storage.certificates import CertificateRecord, CertificateRepository
from bot.storage.db import Conflict
from bot.storage.evaluations import CourseResult, EvaluationRepository
from bot.storage.learning import LearningRepository
from bot.storage.users import User, UserRepository

if TYPE_CHECKING:
    from bot.clock import Clock
    from bot.config import LearningSettings
    from bot.content.catalogue import CatalogueHolder
    from bot.learning.path import Programme
    from bot.learning.progress import CourseProgress


class ReportsMixin:
    """Completion, accuracy, streaks, JP, the snapshot and certificates.

    Mixed into ``LearningService``, which sets the attributes declared here and provides the
    course helpers declared below.
    """

    clock: Clock
    settings: LearningSettings
    _users: UserRepository
    _records: LearningRepository
    _certificates: CertificateRepository
    _evaluations: EvaluationRepository
    catalogue: CatalogueHolder
    issuer: str

    async def place(self, user: User) -> tuple[CourseProgress | None, tuple[Programme, ...]]:
        """Where /learn continues and the learner's cohort paths (LearningService)."""
        raise NotImplementedError

    async def course_list(self, user: User) -> list[CourseProgress]:
        """Every course with the learner's progress (LearningService)."""
        raise NotImplementedError

    def today(self, user: User) -> date:
        """The learner's local date (LearningService)."""
        raise NotImplementedError

    async def reviews_due(self, user: User) -> int:
        """Review items due now (LearningService)."""
        raise NotImplementedError

    # ------------------------------------------------------------------ progress

    async def minutes_this_year(self, user: User) -> int:
        """Minutes credited this calendar year (learner's zone): a course's lesson minutes
        count from the day its final evaluation was first passed, not lesson by lesson."""
        year = self.today(user).year
        return await self._evaluations.minutes_between(user.id, date(year, 1, 1),
                                                       date(year, 12, 31))

    async def progress(self, user: User) -> ProgressReport:
        """Completion per course, accuracy, streaks, JP this year and certificates."""
        courses = await self.course_list(user)
        right, answered = await self._records.accuracy(user.id)
        days = await self._records.activity_days(user.id)
        minutes = await self.minutes_this_year(user)
        return ProgressReport(
            courses=courses, right=right, answered=answered,
            current_streak=streaks.current_streak(days, self.today(user)),
            longest_streak=streaks.longest_streak(days),
            minutes_year=minutes, jp_year=jp_value(minutes, self.settings.minutes_per_jp),
            jp_target=self.settings.annual_jp_target,
            certificates=await self._certificates.of_user(user.id),
        )

    async def snapshot(self, user_id: int) -> LearnerSnapshot | None:
        """The learner at a glance (dashboard, daily nudge); None for an unknown user."""
        user = await self._users.get(user_id)
        if user is None:
            return None
        target, paths = await self.place(user)
        lesson = target.next_lesson if target else None
        days = await self._records.activity_days(user.id)
        today = self.today(user)
        minutes = await self.minutes_this_year(user)
        return LearnerSnapshot(
            user_id=user.id,
            course_key=target.course.key if target else None,
            course_title=target.course.title if target else None,
            lesson_key=lesson.key if lesson else None,
            lesson_title=lesson.title if lesson else None,
            lesson_minutes=lesson.minutes if lesson else None,
            reviews_due=await self.reviews_due(user),
            streak=streaks.current_streak(days, today),
            learned_today=today in set(days),
            minutes_year=minutes,
            jp_year=jp_value(minutes, self.settings.minutes_per_jp),
            jp_target=self.settings.annual_jp_target,
            today=today,
            programmes=paths,
        )

    # ------------------------------------------------------------------ certificates

    async def _certify(self, user: User, course: Course,
                       result: CourseResult) -> CertificateRecord | None:
        """Issue the certificate of a passed course unless the learner has it; the new record
        or None.

        Nothing is issued before the learner confirmed the name to print (``display_name``)
        and gave their NIP: the certificate then waits, and ``issue_pending_certificates``
        issues it once they did.
        """
        if user.display_name is None or user.nip is None or result.passed_on is None:
            return None
        lang = choose_language(user.language, user.telegram_language)
        for _attempt in range(5):
            record = CertificateRecord(
                code=certs.new_code(), user_id=user.id, course_key=course.key,
                course_title=course.title.get(lang), name=user.name, unit=user.unit or "",
                minutes=result.minutes, completed_on=result.passed_on, language=lang,
                issued_at=self.clock.now(), nip=user.nip, score=result.best_score,
                started_on=result.started_on, issuer=self.issuer,
            )
            try:
                stored, created = await self._certificates.issue(record)
            except Conflict:
                continue  # the random code was taken; draw another
            return stored if created else None
        raise RuntimeError("could not draw a free certificate code")

    async def pending_certificates(self, user: User) -> list[tuple[Course, CourseResult]]:
        """Passed courses whose certificate waits (for the name to print or the NIP)."""
        issued = {r.course_key for r in await self._certificates.of_user(user.id)}
        waiting = []
        for result in await self._evaluations.results(user.id):
            course = self.catalogue.course(result.course_key)
            if result.passed and course is not None and course.key not in issued:
                waiting.append((course, result))
        return waiting

    async def issue_pending_certificates(self, user: User) -> list[CertificateRecord]:
        """Issue every waiting certificate (none while the name or the NIP is missing)."""
        fresh = await self._users.get(user.id) or user
        issued = []
        for course, result in await self.pending_certificates(fresh):
            record = await self._certify(fresh, course, result)
            if record is not None:
                issued.append(record)
        return issued

    async def certificate(self, user: User, course_key: str) -> CertificateRecord | None:
        """The learner's certificate for a course, if issued."""
        return await self._certificates.for_course(user.id, course_key)

    def certificate_jp(self, record: CertificateRecord, lang: str) -> str:
        """The JP printed on a certificate, formatted for ``lang``."""
        return format_jp(record.minutes, self.settings.minutes_per_jp, lang)

    def certificate_pdf(self, record: CertificateRecord, bot_username: str, *,
                        public_url: str | None, issuer: str) -> bytes:
        """The certificate PDF in the language it was issued in; its QR code points at
        ``{public_url}/verify/<code>`` when Sinau has a public URL, else at the bot's deep
        link. ``issuer`` is printed for records from before certificates named one."""
        return certs.render_pdf(record, jp=self.certificate_jp(record, record.language),
                                lang=record.language, bot_username=bot_username,
                                public_url=public_url, issuer=issuer)

    async def verify(self, text: str) -> CertificateRecord | None:
        """The certificate a typed code names (any case, old or new format), or None."""
        code = certs.normalise_code(text)
        return None if code is None else await self._certificates.by_code(code)

    async def verify_certificate(self, text: str, *, issuer: str) -> certs.Verification:
        """The verdict on a typed code (/verify, the v_ deep link, the web page): valid,
        revoked, unknown or malformed, with what may be shown (the NIP masked).

        ``issuer`` is named for certificates from before they carried their issuer.
        """
        code = certs.normalise_code(text)
        if code is None:
            return certs.Verification("malformed", text.strip()[:40])
        record = await self._certificates.by_code(code)
        if record is None:
            return certs.Verification("unknown", code)
        return certs.Verification.of(record, default_issuer=issuer)

    async def revoke_certificate(self, text: str, *, by: int,
                                 reason: str) -> certs.Revocation:
        """Revoke the certificate a code names, for the reason given (an admin's /revoke_cert).

        A certificate is revoked once: a second revocation changes nothing and says
        "already" (with the first one's date and reason in ``record``).
        """
        reason = certs.clean_reason(reason)
        code = certs.normalise_code(text)
        if code is None:
            return certs.Revocation("malformed", text.strip()[:40])
        if not reason:
            return certs.Revocation("no_reason", code)
        if len(reason) > certs.REASON_MAX_LENGTH:
            return certs.Revocation("too_long", code)
        revoked = await self._certificates.revoke(code, by=by, reason=reason,
                                                  now=self.clock.now())
        if revoked is not None:
            return certs.Revocation("revoked", code, revoked)
        record = await self._certificates.by_code(code)
        return certs.Revocation("unknown" if record is None else "already", code, record)
