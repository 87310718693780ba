"""The receptionist: a customer books by conversation, over any text channel.

One engine for every channel (SMS, the website's live chat): a channel adapter
feeds it the customer's message and sends back what it answers. The engine
keeps the state of a conversation in a plain dict (stored by the Odoo layer as
JSON), asks the business what it needs through a :class:`Desk`, and reads
messages through an :class:`~engine.understanding.Understanding`. No Odoo
here: the Odoo layer (``models/booking_conversation.py``) implements the desk
with the page's own rules, so a booking made in a conversation is checked
exactly like one made on the page.

The conversation, step by step (a step is skipped when its answer is known):

1. the service, fuzzy-matched in the customer's words ("Did you mean ...?"
   when unsure);
2. for a job at the customer's place, the address first (the seed's order:
   "What's your address?");
3. the customer's name, then a phone or e-mail (an SMS sender's number is one);
   then notes;
4. two or three free times, in the customer's words; a reply by number, by
   naming one of them ("Thursday 2pm works": booked without asking again), by
   the customer's own phrasing of another day and time, or "none of those"
   (then: which day suits?); fully booked: the waitlist for the day wanted;
5. the booking, through the desk: pending, confirmed or awaiting a deposit,
   and what happens next. A time taken meanwhile brings new offers.

At any point a customer who asks for a person, asks for more than a booking
(a quote, a complaint), or is misunderstood twice in a row is handed over to
a person: :meth:`Desk.hand_off`.

The conversation follows its booking afterwards (:meth:`Receptionist.booking_update`):
approved, declined, expired, cancelled, whoever told the customer.
"""

from abc import ABC
from abc import abstractmethod
from dataclasses import dataclass
from dataclasses import field
from datetime import datetime, timedelta

from .understanding import RuleUnderstanding
from .understanding import Wish

MISUNDERSTANDINGS_BEFORE_HAND_OFF = 2
OFFERS = 3  # times offered at once
DEFAULT_SEARCH_DAYS = 7  # "this week", when the customer names no day
FAR_SEARCH_DAYS = 21  # looked further before saying "fully booked"

OPEN, BOOKED, HANDED_OFF, CLOSED = "open", "booked", "handed_off", "closed"


# ---------------------------------------------------------------------------
# What the desk answers
# ---------------------------------------------------------------------------


@dataclass(frozen=True)
class Service:
    id: int
    name: str
    at_customer: bool = False  # the job takes place at the customer's address
    keywords: str = ""  # other words customers use, comma-separated


@dataclass(frozen=True)
class Booked:
    """A booking the desk made. ``state``: pending, confirmed or pending_payment."""

    reference: str
    state: str
    start: datetime
    pay_url: str = ""
    deposit: str = ""  # formatted amount
    pay_within_minutes: int = 0
    link: str = ""  # where the customer sees and manages the booking


@dataclass(frozen=True)
class HandOff:
    """How a person takes over: ``live`` when someone joined the chat now; ``who`` answers."""

    live: bool
    who: str


class TimeTaken(Exception):
    """The time was taken since it was offered."""


class Refused(Exception):
    """The desk will not book this (a rule of the page); ``args[0]`` says why, to the customer."""


class Limited(Refused):
    """Too many requests from this customer for now: said as it is, no person is bothered."""


class Desk(ABC):
    """What the receptionist needs from the business. Times are the business's local, naive datetimes."""

    business_name = ""
    business_phone = ""
    lang = "en"

    @abstractmethod
    def now(self):
        """The business's local time, naive."""

    @abstractmethod
    def services(self):
        """The :class:`Service` list customers may book."""

    @abstractmethod
    def free_times(self, service_id, day_from, day_to):
        """Free local starts of ``service_id`` between two local days (inclusive), sorted."""

    @abstractmethod
    def book(self, details):
        """Book ``details`` (service_id, start, name, phone, email, address, notes): a :class:`Booked`.

        :raise TimeTaken: the time is no longer free.
        :raise Refused: the page's rules refuse it.
        """

    @abstractmethod
    def join_waitlist(self, details, day):
        """Put the customer on the waitlist of ``details['service_id']`` for the local ``day``."""

    @abstractmethod
    def hand_off(self, reason, details):
        """A person takes over (``reason``: asked, beyond, misunderstood, refused): a :class:`HandOff`."""

    @abstractmethod
    def check_contact(self, phone=None, email=None):
        """``(phone, email)`` cleaned (E.164, normalized), None for what is not valid."""

    def when(self, start):
        """How a local start reads to the customer: "Thursday 2:00 PM"."""
        hour = start.strftime("%I").lstrip("0")
        return f"{start:%A} {hour}:{start:%M} {start:%p}"

    def day_label(self, day):
        return f"{day:%A} {day.day} {day:%B}"

    def translate(self, text, **params):
        """The page's language: the Odoo layer translates; formatting is ``%(name)s``."""
        return text % params if params else text


# ---------------------------------------------------------------------------
# The receptionist
# ---------------------------------------------------------------------------


@dataclass
class Turn:
    """What one message did: the state after it, the answer, and what happened (booked, ...)."""

    state: dict
    reply: str
    event: str | None = None  # booked, handed_off, waitlisted
    booked: Booked | None = None
    hand_off: HandOff | None = None
    understood: bool = True
    extra: dict = field(default_factory=dict)


def new_state(phone=None, email=None, name=None):
    """The state of a new conversation; what the channel already knows is filled in."""
    return {
        "status": OPEN,
        "step": None,
        "service_id": None,
        "choices": [],
        "name": name,
        "phone": phone,
        "email": email,
        "address": None,
        "notes": None,
        "offers": [],
        "wish": None,
        "misses": 0,
        "reference": None,
        "waitlist_day": None,
        "hand_off_reason": None,
        "link": None,  # where the customer manages the booking made here
    }


class Receptionist:
    """Answers one message at a time; the whole memory is the state dict it is given and returns."""

    def __init__(self, desk, understanding=None):
        self.desk = desk
        self.understanding = understanding or RuleUnderstanding()
        self._ = desk.translate

    # --- entry points --- #

    def greet(self):
        return self._(
            "Hi! I'm the booking assistant of %(business)s. What would you like to book?",
            business=self.desk.business_name,
        )

    def reply(self, state, text):
        """Answer ``text`` in the conversation ``state``: a :class:`Turn` (the state is not modified in place)."""
        state = {**new_state(), **(state or {})}
        services = self.desk.services()
        reading = self.understanding.read(
            text, services=[(s.id, s.name, s.keywords) for s in services], now=self.desk.now(), lang=self.desk.lang
        )
        if state["status"] == HANDED_OFF:
            return self._after_hand_off(state, reading)
        if reading.intent == "human":
            return self._hand_off(state, "asked")
        if reading.intent == "beyond":
            return self._hand_off(state, "beyond")
        if state["status"] == BOOKED:
            if reading.intent in ("cancel", "reschedule"):
                return self._change_booked(state)
            if not reading.services:
                return Turn(
                    state,
                    self._(
                        "You're all set (%(ref)s). Anything else? Tell me what you'd like to "
                        "book, or ask to talk to someone.",
                        ref=state["reference"],
                    ),
                )
            state = self._fresh(state)
        elif reading.intent == "cancel":
            # nothing was booked here: "cancel that" ends the booking under way, not a booking
            return Turn(
                self._fresh(state),
                self._(
                    "No problem: nothing is booked. Tell me whenever you'd like to book something, or ask to talk "
                    "to someone."
                ),
            )
        self._absorb(state, reading, services)
        turn = self._answer_step(state, reading, services)
        if turn is None:
            turn = self._next_question(state, services)
        if turn.understood:
            state["misses"] = 0
            return turn
        state["misses"] += 1
        if state["misses"] >= MISUNDERSTANDINGS_BEFORE_HAND_OFF:
            return self._hand_off(state, "misunderstood")
        return turn

    def _after_hand_off(self, state, reading):
        """A person has the conversation: the receptionist only takes a way to reach the customer."""
        had_contact = state["phone"] or state["email"]
        if reading.email or reading.phone:
            phone, email = self.desk.check_contact(phone=reading.phone, email=reading.email)
            state["phone"] = phone or state["phone"]
            state["email"] = email or state["email"]
        if not had_contact and (state["phone"] or state["email"]):
            return Turn(state, self._("Thanks, the team will reach you on %(contact)s.",
                                      contact=state["phone"] or state["email"]), event="contact_given")
        return Turn(state, self._("Thanks, I've added that to your message: the team will get back to you."))

    def booking_update(self, state, event, reference=None):
        """The conversation after its booking changed, whoever changed it and told the customer: ``(state, text)``.

        ``reference``: the booking's (the state's own when not given).

        ``event``:

        - ``approved``: staff confirmed the request; the conversation stays booked;
        - ``declined``: staff declined it; the conversation reopens at "which day?";
        - ``expired``: nobody answered the request; the conversation closes (the
          customer is asked to call);
        - ``hold_expired``: the deposit was not paid in time; reopens at "which day?";
        - ``cancelled``: the business cancelled the booking; reopens at "which day?";
        - ``cancelled_by_customer``: the customer cancelled (and knows it); reopens
          at "which day?", nothing to say;
        - ``finished``: the visit took place (or was missed); the conversation closes.

        A conversation a person took over stays with that person, and one
        where the customer is already booking something else goes on: their
        state does not change, the news is told without inviting an answer.
        ``text`` is "" when there is nothing to say.
        """
        state = {**new_state(), **(state or {})}
        business, phone = self.desk.business_name, self.desk.business_phone
        ref = reference or state.get("reference") or ""
        if event == "approved":
            return state, self._("Good news: %(business)s confirmed your booking %(ref)s.", business=business,
                                 ref=ref)
        if event not in ("declined", "expired", "hold_expired", "cancelled", "cancelled_by_customer", "finished"):
            return state, ""
        if state["status"] in (HANDED_OFF, OPEN):
            if event in ("cancelled_by_customer", "finished"):
                return state, ""
            text = self._("Sorry, your booking %(ref)s with %(business)s will not take place.", ref=ref,
                          business=business)
            if state["status"] == HANDED_OFF:
                text += " " + self._("The team will get back to you.")
            return state, text
        if event in ("expired", "finished"):
            state.update(status=CLOSED, step=None, reference=None, offers=[], link=None)
            if event == "finished":
                return state, ""
            if phone:
                return state, self._("Sorry, we couldn't confirm your booking. Please call %(phone)s to schedule.",
                                     phone=phone)
            return state, self._("Sorry, we couldn't confirm your booking. Reply here and someone will get back to "
                                 "you.")
        # the booking will not take place: the conversation is open again, for another day
        state.update(status=OPEN, step="day", reference=None, offers=[], wish=None, misses=0, link=None,
                     waitlist_day=None)
        if event == "declined":
            return state, self._("Sorry, %(business)s could not take that time. Reply here with a day that suits "
                                 "you and I'll find you another one.", business=business)
        if event == "hold_expired":
            return state, self._("The time I held for you (%(ref)s) was released: the deposit was not paid in "
                                 "time. Reply here with a day that suits you and I'll find you another one.", ref=ref)
        if event == "cancelled":
            return state, self._("Sorry, %(business)s had to cancel your booking %(ref)s. Reply here with a day "
                                 "that suits you and I'll find you another time.", business=business, ref=ref)
        return state, ""

    def _fresh(self, state):
        """A new booking in the same conversation: who the customer is stays known."""
        return {**new_state(state["phone"], state["email"], state["name"]), "address": state["address"]}

    def _change_booked(self, state):
        """The customer asks to cancel or move the booking made here: where they do it, or a person.

        (Over SMS, the channel sends such a message to its own cancel and
        reschedule replies first, while the booking is upcoming.)
        """
        if state.get("link"):
            return Turn(
                state,
                self._("You can move or cancel %(ref)s here: %(url)s", ref=state["reference"], url=state["link"]),
            )
        return self._hand_off(state, "asked")

    # --- what a message holds --- #

    def _absorb(self, state, reading, services):
        """Take every detail the message gives, whatever was asked."""
        if reading.email or reading.phone:
            phone, email = self.desk.check_contact(phone=reading.phone, email=reading.email)
            state["phone"] = phone or state["phone"]
            state["email"] = email or state["email"]
        if reading.wish:
            state["wish"] = reading.wish.to_dict()
        if not state["service_id"] and state["step"] in (None, "service") and reading.services:
            self._take_service_guess(state, reading.services)

    def _take_service_guess(self, state, guesses):
        best, best_score = guesses[0]
        runner_up = guesses[1][1] if len(guesses) > 1 else 0
        if best_score >= 75 and best_score - runner_up >= RuleUnderstanding.CLEAR_LEAD:
            state["service_id"], state["choices"] = best, []
        else:
            state["choices"] = [service_id for service_id, _score in guesses[:4]]

    def _answer_step(self, state, reading, services):
        """The answer to the question the last reply asked; None when the next question follows."""
        step = state["step"]
        by_id = {service.id: service for service in services}
        if step == "service":
            if state["service_id"]:
                return None
            if state["choices"] and reading.pick and 0 < reading.pick <= len(state["choices"]):
                state["service_id"], state["choices"] = state["choices"][reading.pick - 1], []
                return None
            if state["choices"] and len(state["choices"]) > 1 and reading.services:
                # "the hedge one": a guess among the choices offered
                chosen = [sid for sid, _score in reading.services if sid in state["choices"]]
                if len(chosen) == 1:
                    state["service_id"], state["choices"] = chosen[0], []
                    return None
            if state["choices"]:
                return self._ask_service(state, by_id, understood=reading.intent == "greeting")
            return self._ask_service(state, by_id, understood=reading.intent == "greeting")
        if step == "name":
            name = self._name(reading)
            if not name:
                return Turn(
                    state,
                    self._("Sorry, I didn't get your name. What name should I put the booking under?"),
                    understood=False,
                )
            state["name"] = name
            return None
        if step == "contact":
            if state["phone"] or state["email"]:
                return None
            return Turn(
                state,
                self._("That doesn't look like a phone number or an e-mail address. How can the team reach you?"),
                understood=False,
            )
        if step == "address":
            address = " ".join(reading.text.split())
            if len(address) < 5 or not any(ch.isalpha() for ch in address):
                return Turn(state, self._("Sorry, I need the street, number and town of the job."), understood=False)
            state["address"] = address[:300]
            return None
        if step == "notes":
            state["notes"] = "" if reading.intent in ("no", "none_of_those") else " ".join(reading.text.split())[:1000]
            return None
        if step == "times":
            return self._answer_times(state, reading)
        if step == "day":
            if reading.wish:
                return self._offer(state, Wish.from_dict(state["wish"]), after_miss=False)
            return Turn(
                state,
                self._(
                    "Which day would suit you? For example \u201cnext Wednesday morning\u201d "
                    "or \u201cFriday after 3\u201d."
                ),
                # "Hello?", "can we do another day?": the question is the answer
                understood=reading.intent in ("greeting", "reschedule", "none_of_those", "yes"),
            )
        if step == "waitlist":
            if reading.intent == "yes":
                return self._join_waitlist(state)
            if reading.wish:
                return self._offer(state, Wish.from_dict(state["wish"]), after_miss=False)
            if reading.intent in ("no", "none_of_those"):
                state["step"] = "day"
                return Turn(state, self._("No problem. Which other day would suit you?"))
            return Turn(
                state, self._("Shall I put you on the waitlist? Reply YES, or tell me another day."), understood=False
            )
        return None

    def _name(self, reading):
        text = " ".join(reading.text.replace("\u2019", "'").split())
        lowered = text.lower()
        for prefix in (
            "my name is ",
            "my name's ",
            "name is ",
            "name: ",
            "i'm ",
            "i am ",
            "it's ",
            "its ",
            "this is ",
            "call me ",
        ):
            if lowered.startswith(prefix):
                text = text[len(prefix) :]
                break
        text = text.strip(" .!,")
        if reading.intent in ("yes", "no", "greeting", "none_of_those") or reading.email or reading.phone:
            return None
        if not 2 <= len(text) <= 60 or any(ch.isdigit() for ch in text) or len(text.split()) > 5:
            return None
        if not all(ch.isalpha() or ch in " '-." for ch in text):
            return None
        return text.title() if text.islower() or text.isupper() else text

    # --- the next question --- #

    def _next_question(self, state, services):
        by_id = {service.id: service for service in services}
        service = by_id.get(state["service_id"])
        if state["service_id"] and not service:
            state["service_id"] = None  # no longer offered since the conversation began
        if not service:
            return self._ask_service(state, by_id, understood=True)
        if service.at_customer and not state["address"]:
            # a job at the customer's place: where first, as a tradesperson asks (the seed's order)
            state["step"] = "address"
            if state["name"]:
                return Turn(state, self._("What's the address of the job?"))
            return Turn(state, self._("I can help with %(service)s. What's the address of the job?",
                                      service=service.name))
        if not state["name"]:
            state["step"] = "name"
            if service.at_customer:
                return Turn(state, self._("Thanks. What name should I put the booking under?"))
            return Turn(state, self._("I can help with %(service)s. What's your name?", service=service.name))
        if not (state["phone"] or state["email"]):
            state["step"] = "contact"
            return Turn(
                state,
                self._("Thanks %(name)s. What's the best phone number or e-mail to reach you?", name=state["name"]),
            )
        if state["notes"] is None:
            state["step"] = "notes"
            return Turn(state, self._("Anything the team should know (access, special requirements)? Reply NO if not."))
        return self._offer(state, Wish.from_dict(state["wish"]), after_miss=False)

    def _ask_service(self, state, by_id, understood):
        state["step"] = "service"
        choices = [by_id[sid] for sid in state["choices"] if sid in by_id]
        if len(choices) > 1:
            lines = " ".join(f"{index}. {service.name}" for index, service in enumerate(choices, start=1))
            return Turn(
                state, self._("Did you mean: %(choices)s? Reply with the number.", choices=lines), understood=True
            )
        if len(choices) == 1:
            state["service_id"], state["choices"] = choices[0].id, []
            return None
        names = ", ".join(service.name for service in by_id.values())
        if not names:
            return self._hand_off(state, "nothing_bookable")
        if understood:
            return Turn(state, self._("What would you like to book? We offer: %(services)s.", services=names))
        return Turn(
            state,
            self._("Sorry, I didn't catch which service you'd like. We offer: %(services)s.", services=names),
            understood=False,
        )

    # --- times --- #

    def _answer_times(self, state, reading):
        offers = [datetime.fromisoformat(value) for value in state["offers"]]
        if reading.pick:
            if reading.pick == -1:
                return self._book(state, offers[-1]) if offers else None
            if 0 < reading.pick <= len(offers):
                return self._book(state, offers[reading.pick - 1])
            return Turn(
                state,
                self._("Please reply with a number from 1 to %(count)s, or tell me another day.", count=len(offers)),
                understood=False,
            )
        named = self.understanding.named_offers(reading, offers)
        if len(named) == 1:  # "Thursday 2pm works": one of the times offered, booked without asking again
            return self._book(state, named[0])
        if reading.wish:
            return self._offer(state, reading.wish, after_miss=False)
        if reading.intent in {"none_of_those", "no", "reschedule"}:
            state["step"] = "day"
            return Turn(state, self._("No problem. What day works best for you?"))
        if reading.intent == "yes" and len(offers) == 1:
            return self._book(state, offers[0])
        return Turn(
            state,
            self._("Sorry, which time would you like? Reply 1, 2 or 3, or tell me another day."),
            understood=False,
        )

    def _offer(self, state, wish, after_miss, exclude=()):
        """Offer free times in ``wish`` (the next days when None), or the waitlist when there are none."""
        today = self.desk.now().date()
        if wish is None:
            day_from, day_to = today, today + timedelta(days=DEFAULT_SEARCH_DAYS - 1)
        else:
            day_from, day_to = max(wish.day_from, today), max(wish.day_to, today)
        times = [
            start
            for start in self.desk.free_times(state["service_id"], day_from, day_to)
            if start.isoformat() not in exclude
        ]
        wanted = [start for start in times if wish is None or wish.admits(start)]
        if not wanted and wish is not None and wish.exact is not None:
            # no slot at exactly that time: the closest ones that day
            relaxed = Wish(wish.day_from, wish.day_to, wish.minute_from, wish.minute_to)
            target = wish.exact.hour * 60 + wish.exact.minute
            wanted = sorted(
                (s for s in times if relaxed.admits(s)), key=lambda s: abs(s.hour * 60 + s.minute - target)
            )[:OFFERS]
            wanted.sort()
        if not wanted and wish is None:
            far = self.desk.free_times(
                state["service_id"], day_to + timedelta(days=1), today + timedelta(days=FAR_SEARCH_DAYS)
            )
            wanted = [start for start in far if start.isoformat() not in exclude]
        if not wanted:
            return self._fully_booked(state, wish, day_from)
        picked = self._spread(wanted)
        state["offers"] = [start.isoformat() for start in picked]
        state["step"] = "times"
        lines = "\n".join(
            f"{index}. {self.desk.when(start) if (start.date() - today).days < 7 else self._far(start)}"
            for index, start in enumerate(picked, start=1)
        )
        intro = (
            self._("I have these times available:")
            if not after_miss
            else self._("Sorry, that time was just taken. Here are other times:")
        )
        return Turn(state, f"{intro}\n{lines}\n" + self._("Which works best for you? Reply with the number."))

    def _far(self, start):
        return f"{self.desk.day_label(start.date())} {self.desk.when(start).split(' ', 1)[1]}"

    @staticmethod
    def _spread(times):
        """Up to three times, on different days first (three real choices), in order."""
        picked, days = [], set()
        for start in times:
            if start.date() not in days:
                picked.append(start)
                days.add(start.date())
            if len(picked) == OFFERS:
                break
        for start in times:
            if len(picked) == OFFERS:
                break
            if start not in picked:
                picked.append(start)
        return sorted(picked)

    def _fully_booked(self, state, wish, day):
        state["offers"] = []
        if wish is not None and wish.single_day:
            state["step"] = "waitlist"
            state["waitlist_day"] = day.isoformat()
            return Turn(
                state,
                self._(
                    "Sorry, we're fully booked on %(day)s. Shall I put you on the waitlist for "
                    "that day? We'll text you if a time opens. Reply YES, or tell me another "
                    "day.",
                    day=self.desk.day_label(day),
                ),
            )
        state["step"] = "day"
        return Turn(
            state,
            self._("Sorry, we're fully booked then. Which day would you like? I can put you on the waitlist for it."),
        )

    def _join_waitlist(self, state):
        day = datetime.fromisoformat(state["waitlist_day"]).date()
        try:
            self.desk.join_waitlist(self._details(state), day)
        except Limited as error:
            return Turn(state, str(error.args[0]))
        except Refused as error:
            return self._hand_off(state, "refused", why=str(error.args[0]))
        state["step"] = "waitlisted"
        state["status"] = BOOKED
        state["reference"] = self._("waitlist %(day)s", day=day.isoformat())
        return Turn(
            state,
            self._(
                "You're on the waitlist for %(day)s. We'll let you know as soon as a time opens.",
                day=self.desk.day_label(day),
            ),
            event="waitlisted",
        )

    # --- booking --- #

    def _details(self, state):
        return {key: state[key] for key in ("service_id", "name", "phone", "email", "address", "notes")}

    def _book(self, state, start):
        try:
            booked = self.desk.book({**self._details(state), "start": start})
        except TimeTaken:
            return self._offer(state, Wish.from_dict(state["wish"]), after_miss=True, exclude={start.isoformat()})
        except Limited as error:
            return Turn(state, str(error.args[0]))
        except Refused as error:
            return self._hand_off(state, "refused", why=str(error.args[0]))
        state.update(status=BOOKED, step="done", reference=booked.reference, offers=[],
                     link=booked.link or booked.pay_url or None)
        when = (
            self.desk.when(booked.start)
            if (booked.start.date() - self.desk.now().date()).days < 7
            else self._far(booked.start)
        )
        if booked.state == "pending_payment":
            text = self._(
                "I'm holding %(when)s for you (%(ref)s). To secure it, pay the deposit of %(amount)s "
                "within %(minutes)s minutes: %(url)s",
                when=when,
                ref=booked.reference,
                amount=booked.deposit,
                minutes=booked.pay_within_minutes,
                url=booked.pay_url,
            )
        elif booked.state == "pending":
            text = self._(
                "Great! I've penciled you in for %(when)s (%(ref)s). The team will confirm shortly.",
                when=when,
                ref=booked.reference,
            )
        else:
            text = self._("You're booked for %(when)s (%(ref)s). See you then!", when=when, ref=booked.reference)
        if booked.link:
            text += " " + self._("Details and changes: %(url)s", url=booked.link)
        return Turn(state, text, event="booked", booked=booked)

    # --- a person takes over --- #

    def _hand_off(self, state, reason, why=""):
        details = {**self._details(state), "why": why}
        hand_off = self.desk.hand_off(reason, details)
        state.update(status=HANDED_OFF, step="handed_off", hand_off_reason=reason)
        return Turn(state, self.hand_off_text(state, reason, hand_off, why), event="handed_off", hand_off=hand_off)

    def hand_off_text(self, state, reason, hand_off, why=""):
        """What the customer is told when a person takes over (:class:`HandOff` says who, and whether now)."""
        prefix = ""
        if reason == "beyond":
            prefix = self._("That's more than I can book here.") + " "
        elif reason == "misunderstood":
            prefix = self._("Sorry, I'm not getting this right.") + " "
        elif reason == "refused" and why:
            prefix = why + " "
        if hand_off.live:
            text = self._("%(who)s from the team is joining the conversation now.", who=hand_off.who)
        elif state.get("phone"):
            text = self._("I've passed your message to %(who)s, who will call you on %(phone)s.", who=hand_off.who,
                          phone=state["phone"])
        else:
            text = self._("I've passed your message to %(who)s. What's the best number to reach you on?",
                          who=hand_off.who)
        return prefix + text


def request_follow_up(pending_since, now, nudge_hours, expiry_hours, nudged=False):
    """What a request nobody answered calls for at ``now``: ``"expire"``, ``"nudge"`` or None.

    The merchant is reminded after ``nudge_hours`` (once), and the request
    expires after ``expiry_hours`` (the customer is told); 0 switches either off.
    """
    waited = now - pending_since
    if expiry_hours and waited >= timedelta(hours=expiry_hours):
        return "expire"
    if nudge_hours and not nudged and waited >= timedelta(hours=nudge_hours):
        return "nudge"
    return None
