"""What a customer's message says, for the receptionist (``engine/conversation.py``).

The receptionist asks one small interface, :class:`Understanding`, to read a
message; :class:`RuleUnderstanding` is the version that ships: fuzzy matching of
services with ``rapidfuzz``, days and times with ``dateparser`` in the page's
language and time zone, and a few word lists for what is not a booking. A
language model could take its place by returning the same :class:`Reading`.

No Odoo here: the rules are tested on their own (``engine/tests``).
"""

import itertools
import re
import unicodedata
from abc import ABC
from abc import abstractmethod
from dataclasses import dataclass
from dataclasses import field
from datetime import date, datetime, time, timedelta

# ---------------------------------------------------------------------------
# What a reading holds
# ---------------------------------------------------------------------------

# Parts of the day, as local minutes after midnight: [from, to)
PARTS_OF_DAY = {"morning": (6 * 60, 12 * 60), "afternoon": (12 * 60, 17 * 60), "evening": (17 * 60, 22 * 60)}


@dataclass(frozen=True)
class Wish:
    """When the customer would like to come: local days and, within them, a window or an exact time.

    ``day_to`` is inclusive. ``exact`` is a local time of day ("2pm"); the
    window ``minute_from``-``minute_to`` ("morning", "after 3") holds minutes
    after midnight.
    """

    day_from: date
    day_to: date
    minute_from: int = 0
    minute_to: int = 24 * 60
    exact: time | None = None

    @property
    def single_day(self):
        return self.day_from == self.day_to

    def admits(self, local_start):
        """Whether a local start (aware or naive local datetime) is what the customer asked for."""
        if not self.day_from <= local_start.date() <= self.day_to:
            return False
        if self.exact is not None:
            return local_start.time().replace(second=0, microsecond=0) == self.exact
        minute = local_start.hour * 60 + local_start.minute
        return self.minute_from <= minute < self.minute_to

    def to_dict(self):
        return {
            "day_from": self.day_from.isoformat(),
            "day_to": self.day_to.isoformat(),
            "minute_from": self.minute_from,
            "minute_to": self.minute_to,
            "exact": self.exact.strftime("%H:%M") if self.exact else None,
        }

    @classmethod
    def from_dict(cls, data):
        if not data:
            return None
        exact = data.get("exact")
        return cls(
            date.fromisoformat(data["day_from"]),
            date.fromisoformat(data["day_to"]),
            data.get("minute_from", 0),
            data.get("minute_to", 24 * 60),
            time.fromisoformat(exact) if exact else None,
        )


@dataclass
class Reading:
    """What one message says. Everything is optional: a message may say several things or nothing."""

    text: str
    intent: str | None = None  # human, beyond, cancel, reschedule, none_of_those, yes, no, greeting
    pick: int | None = None  # "2", "the second one": 1-based
    services: list = field(default_factory=list)  # [(service_id, score)], best first, plausible ones only
    wish: Wish | None = None
    email: str | None = None
    phone: str | None = None


class Understanding(ABC):
    """Reads a customer's message. One method, so that another reader can replace the rules."""

    @abstractmethod
    def read(self, text, *, services, now, lang="en"):
        """A :class:`Reading` of ``text``.

        :param services: ``[(id, name, keywords)]`` the customer may book.
        :param now: the business's local time, a naive ``datetime``.
        :param lang: the page's language, e.g. ``en`` or ``fr_FR``.
        """

    def named_offers(self, reading, offers):
        """The ``offers`` (local starts just offered) that ``reading`` names: [] when it names no day nor time.

        "Thursday 2pm works" names one of them: the receptionist books it
        without asking again. This version goes by the reading's wish: a
        single day, or an exact time, that admits the offer.
        """
        wish = reading.wish
        if wish is None or not (wish.exact or wish.single_day):
            return []
        return [offer for offer in offers if wish.admits(offer)]


# ---------------------------------------------------------------------------
# The rules
# ---------------------------------------------------------------------------

HUMAN_RE = re.compile(
    r"\b(?:(?:talk|speak|chat)\w*\b.{0,25}\b(?:someone|somebody|person|human|people|staff|team|manager|owner|"
    r"real)|human|real person|call me|ring me|phone me|operator|an agent)\b"
)
BEYOND_RE = re.compile(
    r"\b(?:quote|quotation|estimate|renovat\w*|project|complain\w*|refund\w*|damag\w*|broke\w*|unhappy|"
    r"disappointed|compensation|insurance|invoice)\b"
)
NONE_RE = re.compile(
    r"\b(?:none|neither|nothing (?:there|works)|no good|(?:don'?t|doesn'?t|do not|does not|won'?t) (?:work|suit)|"
    r"can'?t (?:make|do)|cannot (?:make|do)|other (?:times?|days?|options?)|something else|different (?:time|day)|"
    r"later (?:time|day)|another (?:time|day))\b"
)
YES_RE = re.compile(r"^(?:yes|yeah|yep|yup|sure|ok|okay|please do|please|y|sounds good|that works|go ahead|great)\b")
NO_RE = re.compile(r"^(?:no|nope|nah|n|no thanks|nothing|none|not really|all good)\b")
GREETING_RE = re.compile(r"^(?:hi|hello|hey|g'?day|good (?:morning|afternoon|evening)|hiya|howdy)\b[\s!.,?]*$")
CANCEL_RE = re.compile(r"\b(?:cancel\w*|call (?:it|this|that) off)\b")
RESCHEDULE_RE = re.compile(
    r"\b(?:re-?schedul\w*|postpone\w*|move (?:it|my|the|our)\b|"
    r"change (?:it|my|the|our) (?:time|day|date|booking|appointment|appt)|bring (?:it|my \w+) forward)"
)
PICK_RE = re.compile(r"^(?:option|number|no\.?|#)?\s*([1-9])\s*(?:[.)!]|please|works|is good|is fine)?\s*$")
ORDINALS = {"first": 1, "1st": 1, "second": 2, "2nd": 2, "third": 3, "3rd": 3, "fourth": 4, "4th": 4}
ORDINAL_RE = re.compile(r"\b(first|1st|second|2nd|third|3rd|fourth|4th|last)\b(?: one| option| time)?")
EMAIL_RE = re.compile(r"[\w.+'-]+@[\w-]+(?:\.[\w-]+)+")
PHONE_RE = re.compile(r"(?<![\w+])\+?\d[\d ().-]{6,18}\d(?!\w)")
TIME_RE = re.compile(r"\b(?:at |@ ?)?(\d{1,2})(?:[:.h](\d{2}))? ?(am|pm|a\.m\.|p\.m\.)?(?=\W|$)")
AFTER_RE = re.compile(r"\b(after|from|before|until|till|by)\s+(\d{1,2})(?:[:.h](\d{2}))?\s*(am|pm)?\b")
WEEK_RE = re.compile(r"\b(this|next|the)\s+(week|weekend)\b|\b(weekend|today|tonight)\b")
WEEKDAYS = ("mon", "tue", "wed", "thu", "fri", "sat", "sun")
NEXT_WEEKDAY_RE = re.compile(r"\bnext\s+(mon|tue|wed|thu|fri|sat|sun)[a-z]*\b")
WEEKDAY_RE = re.compile(
    r"\b(mon|tue|wed|thu|fri|sat|sun)(?:day|s|sday|nesday|r|rs|rsday|urday|t)?\b"
)
# a bare hour after a weekday ("Saturday 9 works"), unless a date follows ("Monday 9 November", "Monday 9th")
BARE_HOUR_RE = re.compile(
    r"\b(?:mon|tue|wed|thu|fri|sat|sun)[a-z]*,?\s+(?:at\s+)?(\d{1,2})(?!\s*(?:st|nd|rd|th|[:./h]\d|"
    r"jan|feb|mar|apr|may|jun|jul|aug|sep|oct|nov|dec))\b"
)
STOPWORDS = frozenset(
    [
        "a",
        "an",
        "and",
        "the",
        "i",
        "im",
        "i'm",
        "id",
        "i'd",
        "we",
        "my",
        "our",
        "your",
        "you",
        "me",
        "to",
        "for",
        "of",
        "on",
        "in",
        "at",
        "is",
        "it",
        "its",
        "be",
        "can",
        "could",
        "would",
        "like",
        "want",
        "wanted",
        "need",
        "needs",
        "please",
        "pls",
        "book",
        "booking",
        "appointment",
        "appt",
        "get",
        "have",
        "has",
        "had",
        "this",
        "that",
        "these",
        "those",
        "next",
        "week",
        "weekend",
        "today",
        "tomorrow",
        "tonight",
        "morning",
        "afternoon",
        "evening",
        "day",
        "days",
        "time",
        "times",
        "some",
        "any",
        "just",
        "hi",
        "hello",
        "hey",
        "gday",
        "there",
        "thanks",
        "thank",
        "with",
        "do",
        "done",
        "some",
        "one",
        "two",
        "three",
        "also",
        "am",
        "pm",
        "yes",
        "no",
        "ok",
        "okay",
    ]
)
SUFFIXES = ("ings", "ing", "ers", "er", "ed", "es", "s")


def _fold(text):
    """Lower case, accents off, curly quotes straight: the form every rule reads."""
    text = unicodedata.normalize("NFKD", text.replace("\u2019", "'")).encode("ascii", "ignore").decode()
    return " ".join(text.lower().split())


def _stem(word):
    for suffix in SUFFIXES:
        if word.endswith(suffix) and len(word) - len(suffix) >= 3:
            return word[: -len(suffix)]
    return word


def _words(text):
    return [_stem(word) for word in re.findall(r"[a-z0-9']+", text) if word not in STOPWORDS and len(word) > 1]


class RuleUnderstanding(Understanding):
    """The shipped reader: word lists, ``rapidfuzz`` for services, ``dateparser`` for days."""

    #: a service name word matches a word of the message from this similarity (0-100)
    WORD_MATCH = 80
    #: a service is offered as a guess from this score, and taken without asking when clearly ahead
    PLAUSIBLE = 60
    CLEAR_LEAD = 15

    def read(self, text, *, services, now, lang="en"):
        folded = _fold(text)
        reading = Reading(text=text)
        reading.email = (EMAIL_RE.search(text) or [None])[0]
        without_email = EMAIL_RE.sub(" ", text)
        phone = PHONE_RE.search(without_email)
        if phone and len(re.sub(r"\D", "", phone[0])) >= 8:
            reading.phone = phone[0].strip()
        reading.intent = self._intent(folded)
        reading.pick = self._pick(folded)
        reading.services = self._services(folded, services)
        if reading.pick is None:
            reading.wish = self._wish(folded, now, lang)
        return reading

    # --- intents --- #

    @staticmethod
    def _intent(folded):
        if HUMAN_RE.search(folded):
            return "human"
        if BEYOND_RE.search(folded):
            return "beyond"
        if CANCEL_RE.search(folded):
            return "cancel"
        if RESCHEDULE_RE.search(folded):
            return "reschedule"
        if NONE_RE.search(folded):
            return "none_of_those"
        if GREETING_RE.match(folded):
            return "greeting"
        if NO_RE.match(folded):
            return "no"
        if YES_RE.match(folded):
            return "yes"
        return None

    @staticmethod
    def _pick(folded):
        match = PICK_RE.match(folded)
        if match:
            return int(match[1])
        match = ORDINAL_RE.search(folded)
        if match and len(folded) <= 40:
            return -1 if match[1] == "last" else ORDINALS[match[1]]
        return None

    # --- which of the offered times --- #

    def named_offers(self, reading, offers):
        """The offers the reply names by weekday and time, whatever date ``dateparser`` makes of the words.

        "Tuesday 2pm" said on a Tuesday is today's 2 PM when that is offered
        (``dateparser`` prefers next week's), "Saturday 9" is 9 AM or PM on
        the Saturday offered, "the Thursday one" the Thursday offered; "next
        Thursday" is next week's, as the wish says. A time of day alone, or
        a part of the day, names none: the customer may want to see more times.
        """
        folded = _fold(reading.text)
        weekdays = {WEEKDAYS.index(match[1]) for match in WEEKDAY_RE.finditer(folded)}
        wish = reading.wish
        if NEXT_WEEKDAY_RE.search(folded):
            weekdays = set()  # the wish has the very day
        hours = set()
        if weekdays and not (wish and wish.exact):
            for match in BARE_HOUR_RE.finditer(folded):
                hour = int(match[1])
                if 1 <= hour <= 12:
                    hours |= {hour % 12, hour % 12 + 12}
                elif hour < 24:
                    hours.add(hour)
        if not weekdays:
            return super().named_offers(reading, offers)
        named = [offer for offer in offers if offer.weekday() in weekdays]
        if wish and any(wish.day_from <= offer.date() <= wish.day_to for offer in named):
            named = [offer for offer in named if wish.day_from <= offer.date() <= wish.day_to]  # "Thursday 5th"
        if wish and wish.exact:
            named = [offer for offer in named if offer.time().replace(second=0, microsecond=0) == wish.exact]
        elif hours:
            named = [offer for offer in named if offer.hour in hours and offer.minute == 0]
        if wish and (wish.minute_from, wish.minute_to) != (0, 24 * 60):
            named = [offer for offer in named if wish.minute_from <= offer.hour * 60 + offer.minute < wish.minute_to]
        return named

    # --- services --- #

    def _services(self, folded, services):
        """``[(id, score)]`` of the services the message may mean, best first."""
        from rapidfuzz import fuzz  # noqa: PLC0415 - a declared dependency, imported where it is used

        words = _words(folded)
        # "hair cut" is "haircut": pairs of neighbouring words count as one word too
        candidates = words + [a + b for a, b in itertools.pairwise(words)]
        if not candidates:
            return []
        scored = []
        for service_id, name, keywords in services:
            score = 0.0
            name_words = _words(_fold(name))
            if name_words:
                best = [max(fuzz.ratio(word, candidate) for candidate in candidates) for word in name_words]
                matched = [value for value in best if value >= self.WORD_MATCH]
                if matched:
                    score = 55 + 45 * len(matched) / len(name_words)
            for keyword in filter(None, (_fold(k) for k in (keywords or "").split(","))):
                keyword_words = _words(keyword)
                if keyword_words and all(
                    max(fuzz.ratio(word, candidate) for candidate in candidates) >= self.WORD_MATCH
                    for word in keyword_words
                ):
                    score = max(score, 95.0)
            if score >= self.PLAUSIBLE:
                scored.append((service_id, round(score, 1)))
        scored.sort(key=lambda pair: -pair[1])
        return scored

    # --- days and times --- #

    def _wish(self, folded, now, lang):
        """The customer's day and time, or None when the message names no day."""
        minute_from, minute_to, exact = 0, 24 * 60, None
        rest = folded
        for part, (start, stop) in PARTS_OF_DAY.items():
            if re.search(rf"\b{part}s?\b", rest):
                minute_from, minute_to = start, stop
                rest = re.sub(rf"\b{part}s?\b", " ", rest)
        if re.search(r"\b(?:tonight|noon|midday|lunch ?time)\b", rest):
            minute_from, minute_to = (17 * 60, 22 * 60) if "tonight" in rest else (11 * 60 + 30, 14 * 60)
        bound = AFTER_RE.search(rest)
        if bound:
            minute = self._minute(int(bound[2]), int(bound[3] or 0), bound[4], minute_from)
            if minute is not None:
                if bound[1] in ("after", "from"):
                    minute_from = minute
                else:
                    minute_to = minute
            rest = rest.replace(bound[0], " ")
        else:
            for match in TIME_RE.finditer(rest):
                if not (match[3] or match[2] or match[0].startswith(("at", "@"))):
                    continue  # a bare number is a day of the month or a pick, not a time
                minute = self._minute(int(match[1]), int(match[2] or 0), match[3], minute_from)
                if minute is not None:
                    exact = time(minute // 60, minute % 60)
                    rest = rest.replace(match[0], " ")
                    break
        days = self._days(rest, now, lang)
        if days is None:
            if exact is None and (minute_from, minute_to) == (0, 24 * 60):
                return None
            today = now.date()
            days = (today, today + timedelta(days=6))  # "after 3", "2pm": the next days at that time
        return Wish(days[0], days[1], minute_from, minute_to, exact)

    @staticmethod
    def _minute(hour, minute, meridiem, context_from):
        """Minutes after midnight of a time the customer typed; "3" means 3 pm in business hours."""
        if hour > 23 or minute > 59:
            return None
        if meridiem and meridiem.startswith("p") and hour < 12:
            hour += 12
        elif meridiem and meridiem.startswith("a") and hour == 12:
            hour = 0
        elif not meridiem and 1 <= hour <= 7 and context_from < 17 * 60:
            hour += 12  # nobody books a haircut at 3 in the night
        return hour * 60 + minute

    @staticmethod
    def _days(rest, now, lang):
        """``(first, last)`` local days the message names, or None."""
        today = now.date()
        week = WEEK_RE.search(rest)
        if week:
            word = week[2] or week[3]
            if word in {"today", "tonight"}:
                return today, today
            monday = today - timedelta(days=today.weekday())
            if word == "weekend":
                saturday = monday + timedelta(days=5 + (7 if week[1] == "next" else 0))
                return max(saturday, today), saturday + timedelta(days=1)
            if week[1] == "next":
                return monday + timedelta(days=7), monday + timedelta(days=13)
            return today, monday + timedelta(days=6)
        weekday = NEXT_WEEKDAY_RE.search(rest)
        if weekday:  # "next Wednesday" is the Wednesday of next week, said on any day of this one
            day = today - timedelta(days=today.weekday()) + timedelta(days=7 + WEEKDAYS.index(weekday[1]))
            return day, day
        if not re.search(r"[a-z]{3}|\d", rest):
            return None
        from dateparser.search import search_dates  # noqa: PLC0415 - a declared dependency

        language = (lang or "en").split("_")[0].lower()
        settings = {
            "PREFER_DATES_FROM": "future",
            "RELATIVE_BASE": datetime.combine(today, time(12)),
            "RETURN_AS_TIMEZONE_AWARE": False,
            "STRICT_PARSING": False,
        }
        languages = [language] if language == "en" else [language, "en"]
        try:
            found = search_dates(rest, languages=languages, settings=settings)
        except (ValueError, OverflowError, KeyError):
            found = None
        for phrase, value in found or ():
            if re.fullmatch(r"\W*(?:\d{1,2}|[a-z]{1,2})\W*", phrase) or value.date() < today:
                continue  # "1" alone is a pick, "we" no Wednesday; the past is not a wish
            if value.date() > today + timedelta(days=366):
                continue
            return value.date(), value.date()
        return None
