"""Callback data: one codec for every button area.

A button's data is ``area:action[:arg...]`` within Telegram's 64 bytes. ``SPECS`` lists every
action of every area with the kind of each argument; ``data()`` builds a button's data and
refuses anything the table does not allow, ``parse()`` turns a press back into a ``Press``
only when it matches an entry exactly (forged, truncated or retired data gives None). The
data is a request, not a proof: handlers still re-check who pressed and what is current.

Services may build data too (a nudge's buttons) — this module has no telegram import.
"""

from __future__ import annotations

import re
from dataclasses import dataclass
from typing import Final

from bot.content.models import KEY_PATTERN

MAX_BYTES: Final = 64

_INT = re.compile(r"^[0-9]{1,15}$")  # plain digits, short enough for any integer column
_KEY = re.compile(KEY_PATTERN)  # course and lesson keys
_CODE = re.compile(r"^[A-Za-z0-9_-]{1,40}$")


@dataclass(frozen=True, slots=True)
class Arg:
    """The kind of one argument: an integer, a content key, a code, or one of ``choices``."""

    kind: str  # 'int' | 'key' | 'code' | 'choice'
    choices: frozenset[str] = frozenset()

    def accepts(self, text: str) -> bool:
        """True when ``text`` is a valid value of this argument."""
        if self.kind == "int":
            return bool(_INT.match(text))
        if self.kind == "key":
            return bool(_KEY.match(text))
        if self.kind == "code":
            return bool(_CODE.match(text))
        return text in self.choices


INT = Arg("int")
KEY = Arg("key")
CODE = Arg("code")


def one_of(*values: str) -> Arg:
    """An argument that must be one of ``values``."""
    return Arg("choice", frozenset(values))


LANGS = one_of("id", "en")
DAYS = one_of("daily", "weekdays")
REPORT = one_of("s", "j", "p")  # /export's reports: SIASN, JP per person, progress
PAGE = one_of("p")  # marks a page press where the action's other arities are answers

#: (area, action) → argument kinds. An action may appear with several arities.
SPECS: Final[dict[tuple[str, str], tuple[tuple[Arg, ...], ...]]] = {
    # Onboarding: the welcome's start and language; the late questions and their answers.
    ("ob", "go"): ((),),
    ("ob", "lang"): ((LANGS,),),
    ("ob", "name"): ((one_of("keep", "edit"),),),
    ("ob", "nip"): ((one_of("skip"),),),
    ("ob", "unit"): ((INT,), (one_of("other", "skip"),), (PAGE, INT)),  # ob:unit:p:<page>
    ("ob", "time"): ((CODE,),),
    # The learner journey.
    ("learn", "go"): ((),),
    ("crs", "list"): ((), (INT,)),   # a new list; with a page: that page, in place
    ("crs", "back"): ((), (INT,)),   # from a course back to (the page of) the list
    ("crs", "pick"): ((KEY,),),
    ("crs", "open"): ((KEY,),),
    ("ls", "n"): ((INT,),),          # next card; the card shown when pressed
    ("ls", "q"): ((INT,),),          # the lesson's quiz, from its last card
    ("ls", "d"): ((INT,),),          # the lesson's discussion, from its last card
    ("qz", "a"): ((INT, INT),),      # answer: position, option shown
    ("qz", "n"): ((INT,),),          # next question after position
    ("rv", "go"): ((),),
    ("rv", "a"): ((INT,),),          # answer: option shown
    ("rv", "n"): ((),),
    ("ev", "s"): ((KEY,),),          # start (or continue) a course's final evaluation
    ("ev", "a"): ((INT, INT),),      # answer: position, option id
    ("ev", "ls"): ((KEY, INT),),     # open a lesson missed in the evaluation (its index)
    ("pg", "show"): ((), (INT,)),    # progress (a new message); with a page: its certificates
    ("pg", "home"): ((),),          # the dashboard (the way back from an expired button)
    ("pg", "c"): ((KEY,),),          # resend a course's certificate
    ("st", "menu"): ((),),
    ("st", "lang"): ((), (LANGS,)),
    ("st", "name"): ((),),
    ("st", "nip"): ((),),
    ("st", "jab"): ((),),
    ("st", "inst"): ((),),
    ("st", "unit"): ((), (INT,), (one_of("other"),), (PAGE, INT)),
    ("st", "time"): ((), (CODE,)),
    ("st", "days"): ((DAYS,),),
    ("st", "ret"): ((), (INT,)),  # FSRS desired retention in percent (the service checks it)
    ("nz", "menu"): ((),),
    ("nz", "pause"): ((INT,),),
    ("nz", "stop"): ((),),
    ("nz", "resume"): ((),),
    ("nz", "days"): ((DAYS,),),
    ("nz", "tz"): ((one_of("wib", "wita", "wit"),),),
    ("pv", "del"): ((INT,),),        # the epoch second the account was created
    ("pv", "keep"): ((),),
    # Trainer tools.
    ("ch", "l"): ((), (INT,)),       # the cohort list (a page of it)
    ("ch", "n"): ((),),
    ("ch", "o"): ((INT,),),
    ("ch", "r"): ((INT,),),
    ("ch", "a"): ((INT,),),
    ("ch", "u"): ((INT,),),
    ("ch", "c"): ((INT,), (INT, INT)),  # a cohort's courses (a page of them)
    ("ch", "t"): ((INT, KEY),),
    ("ch", "d"): ((INT, KEY),),
    ("ch", "m"): ((INT, INT),),
    ("ch", "k"): ((INT, INT),),      # a page of the trainers an admin assigns to a cohort
    ("ch", "kt"): ((INT, INT),),     # assign / unassign a trainer (cohort, user)
    ("ch", "x"): ((INT, INT),),      # a page of members to pick one to remove
    ("ch", "xm"): ((INT, INT),),     # confirm removing a member (cohort, user)
    ("ch", "xy"): ((INT, INT),),     # remove them
    ("ch", "g"): ((INT,),),          # /linkgroup: move this group to the cohort after all
    ("ch", "gn"): ((INT,),),         # ... or keep it where it is
    # People (admins): a page of a search (its id, page); a person's card, grant, revoke
    # (user, search id or 0 for the staff list, page); a page of the staff list.
    ("pp", "p"): ((INT, INT),),
    ("pp", "o"): ((INT, INT, INT),),
    ("pp", "g"): ((INT, INT, INT),),
    ("pp", "r"): ((INT, INT, INT),),
    ("pp", "t"): ((INT,),),
    ("ts", "c"): ((INT,),),
    ("ts", "w"): ((INT,),),
    ("ts", "p"): ((INT,),),
    ("ts", "l"): ((INT,),),          # a page of the cohort picker
    ("ts", "b"): ((INT, INT),),      # a page of the members behind schedule
    ("ex", "c"): ((INT,),),
    ("ex", "l"): ((INT,),),
    # The HR reports (s: SIASN riwayat kursus, j: JP per person): the scope screen; all
    # learners in a year; a page of units / cohorts; a unit (by its code) / cohort in a year.
    ("ex", "r"): ((REPORT,),),
    ("ex", "a"): ((REPORT, INT),),
    ("ex", "u"): ((REPORT, INT),),
    ("ex", "uc"): ((REPORT, CODE, INT),),
    ("ex", "k"): ((REPORT, INT),),
    ("ex", "kc"): ((REPORT, INT, INT),),
    ("bc", "x"): ((INT,),),
    ("bc", "lc"): ((INT,), (INT, KEY)),
    ("bc", "ls"): ((INT, KEY, INT),),
    ("bc", "au"): ((INT, one_of("e")), (INT, one_of("c", "g"), INT)),
    ("bc", "go"): ((INT,),),
    ("bc", "pa"): ((INT, INT),),       # pages: audience, course picker, lesson picker
    ("bc", "pc"): ((INT, INT),),
    ("bc", "pl"): ((INT, KEY, INT),),
    # Scheduling: a day (yyyymmdd), a time on it (hhmm), a typed time; test-send, urgent;
    # the list of scheduled broadcasts, one to edit, its new text; back to the preview.
    ("bc", "sd"): ((INT,), (INT, INT)),
    ("bc", "st"): ((INT, INT, INT),),
    ("bc", "ty"): ((INT,),),
    ("bc", "ts"): ((INT,),),
    ("bc", "ur"): ((INT,),),
    # the list in place, (n) as a new message, or one of its pages
    ("bc", "sl"): ((), (one_of("n"),), (INT,)),
    ("bc", "ed"): ((INT,),),
    ("bc", "et"): ((INT,),),
    ("bc", "pv"): ((INT,),),
    # The stragglers of a cohort: its course picker, then one course.
    ("bc", "ab"): ((INT, INT), (INT, INT, KEY)),
    # Course versions: the uploaded courses (a page); a course's versions, history, restore;
    # a pending version (by id): publish, pick a cohort for its trial (a page), try, discard.
    ("cv", "l"): ((), (INT,)),
    ("cv", "v"): ((KEY,),),
    ("cv", "h"): ((KEY,),),
    ("cv", "r"): ((KEY, INT),),      # restore, from the live version shown on the screen
    ("cv", "p"): ((INT,),),
    ("cv", "t"): ((INT,), (INT, INT)),
    ("cv", "tc"): ((INT, INT),),
    ("cv", "x"): ((INT,),),
    # Group discussions.
    ("ds", "who"): ((one_of("members", "trainers"),),),
    ("ds", "lang"): ((LANGS,),),
}


@dataclass(frozen=True, slots=True)
class Press:
    """A decoded button press."""

    area: str
    action: str
    args: tuple[str, ...] = ()

    def number(self, index: int) -> int:
        """Argument ``index`` as an integer (it was checked to be digits)."""
        return int(self.args[index])

    def arg(self, index: int) -> str:
        """Argument ``index`` as text."""
        return self.args[index]

    def __len__(self) -> int:
        return len(self.args)


def _matches(area: str, action: str, args: tuple[str, ...]) -> bool:
    arities = SPECS.get((area, action))
    if arities is None:
        return False
    return any(len(kinds) == len(args) and all(k.accepts(a) for k, a in zip(kinds, args,
                                                                             strict=True))
               for kinds in arities)


def data(area: str, action: str, *args: object) -> str:
    """The callback data of a button; ValueError if the table does not allow it."""
    parts = tuple(str(a) for a in args)
    if not _matches(area, action, parts):
        raise ValueError(f"no button {area}:{action} with arguments {parts!r}")
    text = ":".join((area, action, *parts))
    if len(text.encode()) > MAX_BYTES:
        raise ValueError(f"callback data longer than {MAX_BYTES} bytes: {text!r}")
    return text


def parse(text: str | None, area: str | None = None) -> Press | None:
    """The press ``text`` names, or None when it is not exactly a known button (of ``area``)."""
    if not text or len(text.encode()) > MAX_BYTES:
        return None
    parts = text.split(":")
    if len(parts) < 2 or (area is not None and parts[0] != area):
        return None
    press = Press(parts[0], parts[1], tuple(parts[2:]))
    return press if _matches(press.area, press.action, press.args) else None


def areas() -> frozenset[str]:
    """Every area prefix in use."""
    return frozenset(area for area, _ in SPECS)
