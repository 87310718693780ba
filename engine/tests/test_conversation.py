"""The receptionist (``engine/conversation.py``) against the seed's scenarios, with a desk in memory.

The desk here is a fake of the business (the Odoo layer is the real one, tested
in ``tests/test_receptionist.py``); the engine and the rules that read the
customer's words are the real ones.
"""

from datetime import date, datetime, timedelta

import pytest

from engine.conversation import BOOKED
from engine.conversation import HANDED_OFF
from engine.conversation import Booked
from engine.conversation import Desk
from engine.conversation import HandOff
from engine.conversation import Limited
from engine.conversation import Receptionist
from engine.conversation import Refused
from engine.conversation import Service
from engine.conversation import TimeTaken
from engine.conversation import new_state
from engine.conversation import request_follow_up
from engine.understanding import RuleUnderstanding

NOW = datetime(2026, 11, 3, 8, 0)  # a Tuesday
THU, FRI, SAT = date(2026, 11, 5), date(2026, 11, 6), date(2026, 11, 7)
NEXT_WED = date(2026, 11, 11)


def at(day, hour, minute=0):
    return datetime(day.year, day.month, day.day, hour, minute)


class FakeDesk(Desk):
    business_name = "Green Lawns"
    business_phone = "+61 7 3000 0000"

    def __init__(self, free=None, state="pending"):
        self.free = sorted(
            free
            if free is not None
            else [
                at(THU, 14),
                at(FRI, 10, 30),
                at(SAT, 9),
                at(NEXT_WED, 9),
                at(NEXT_WED, 10, 30),
                at(NEXT_WED, 15),
            ]
        )
        self.state = state
        self.bookings, self.waitlist, self.hand_offs = [], [], []
        self.taken_on_book = set()
        self.refuse = None
        self.operator = None

    def now(self):
        return NOW

    def services(self):
        return [
            Service(1, "Lawn mowing", at_customer=True, keywords="grass, mow"),
            Service(2, "Hedge trimming", at_customer=True),
            Service(3, "Garden cleanup", at_customer=True),
            Service(4, "Tree trimming", at_customer=True),
        ]

    def free_times(self, service_id, day_from, day_to):
        return [start for start in self.free if day_from <= start.date() <= day_to]

    def book(self, details):
        if isinstance(self.refuse, Exception):
            raise self.refuse
        if self.refuse:
            raise Refused(self.refuse)
        if details["start"] in self.taken_on_book or details["start"] not in self.free:
            self.free = [start for start in self.free if start != details["start"]]
            raise TimeTaken()
        self.free.remove(details["start"])
        self.bookings.append(details)
        return Booked(
            reference=f"BK/{len(self.bookings):04d}",
            state=self.state,
            start=details["start"],
            pay_url="https://pay.example/1",
            deposit="$20.00",
            pay_within_minutes=30,
        )

    def join_waitlist(self, details, day):
        self.waitlist.append((details, day))

    def hand_off(self, reason, details):
        self.hand_offs.append((reason, details))
        return HandOff(live=bool(self.operator), who=self.operator or "the team at Green Lawns")

    def check_contact(self, phone=None, email=None):
        digits = "".join(ch for ch in phone or "" if ch.isdigit())
        return (f"+61{digits[1:]}" if len(digits) >= 9 else None), (email.lower() if email and "@" in email else None)


def talk(receptionist, lines, state=None):
    """Send each line; the turns."""
    turns = []
    for line in lines:
        turn = receptionist.reply(state, line)
        state = turn.state
        turns.append(turn)
    return turns


@pytest.fixture
def desk():
    return FakeDesk()


@pytest.fixture
def receptionist(desk):
    return Receptionist(desk)


# --- the seed's scenarios ---


def test_happy_path_by_sms(desk, receptionist):
    """Scenario 1: "Need lawn mowed" -> address first -> name -> three times -> "Thursday 2pm works" -> pencilled in."""
    state = new_state(phone="+61400123456")  # the SMS sender's number
    turns = talk(
        receptionist,
        [
            "Hi, I need my lawn mowed this week",
            "123 Smith St, Brisbane",
            "John Smith",
            "Just standard lawn mowing",
            "Thursday 2pm works",
        ],
        state,
    )
    assert turns[0].reply == "I can help with Lawn mowing. What's the address of the job?"  # the seed's first question
    assert "What name should I put the booking under?" in turns[1].reply
    assert "Anything the team should know" in turns[2].reply
    offers = turns[3].reply
    assert "Thursday 2:00 PM" in offers and "Friday 10:30 AM" in offers and "Saturday 9:00 AM" in offers
    last = turns[4]
    assert last.event == "booked"
    assert "penciled you in for Thursday 2:00 PM" in last.reply and "confirm shortly" in last.reply
    assert desk.bookings == [
        {
            "service_id": 1,
            "name": "John Smith",
            "phone": "+61400123456",
            "email": None,
            "address": "123 Smith St, Brisbane",
            "notes": "Just standard lawn mowing",
            "start": at(THU, 14),
        }
    ]
    assert last.state["status"] == BOOKED and last.state["reference"] == "BK/0001"


def test_none_of_those_then_next_wednesday_morning(desk, receptionist):
    """Scenario 2: none of the times -> "What day works best?" -> next Wednesday morning -> booked."""
    state = {**new_state(phone="+61400123456"), "name": "Ann", "address": "1 Oak Rd, Brisbane", "notes": ""}
    turns = talk(receptionist, ["lawn mowing please", "None of those work", "Next Wednesday morning", "2"], state)
    assert "1. Thursday 2:00 PM" in turns[0].reply
    assert "What day works best for you?" in turns[1].reply
    wednesday = turns[2].reply
    assert "Wednesday 11 November 9:00 AM" in wednesday and "Wednesday 11 November 10:30 AM" in wednesday
    assert "3:00 PM" not in wednesday  # the customer said morning
    assert turns[3].event == "booked"
    assert desk.bookings[0]["start"] == at(NEXT_WED, 10, 30)


def test_backyard_renovation_is_handed_off(desk, receptionist):
    """Scenario 3: a custom quote is beyond a booking: a person calls."""
    turn = receptionist.reply(new_state(phone="+61400123456"), "Need full backyard renovation")
    assert turn.event == "handed_off" and turn.state["status"] == HANDED_OFF
    assert desk.hand_offs[0][0] == "beyond"
    assert "will call you on +61400123456" in turn.reply
    assert not desk.bookings
    # later messages are added for the team, not answered by the engine
    assert "added that to your message" in receptionist.reply(turn.state, "it's about 200 m2").reply


def test_merchant_not_answering_nudge_then_expiry(receptionist):
    """Scenario 4: no answer -> the merchant is nudged at 2 h, the request expires at 4 h, the customer told."""
    since = datetime(2026, 11, 3, 9, 0)
    assert request_follow_up(since, since + timedelta(hours=1, minutes=59), 2, 4) is None
    assert request_follow_up(since, since + timedelta(hours=2), 2, 4) == "nudge"
    assert request_follow_up(since, since + timedelta(hours=3), 2, 4, nudged=True) is None
    assert request_follow_up(since, since + timedelta(hours=4), 2, 4, nudged=True) == "expire"
    assert request_follow_up(since, since + timedelta(days=9), 0, 0) is None
    booked = {**new_state(phone="+61400123456"), "status": BOOKED, "reference": "BK/0001"}
    state, text = receptionist.booking_update(booked, "expired")
    assert text == "Sorry, we couldn't confirm your booking. Please call +61 7 3000 0000 to schedule."
    assert state["status"] == "closed"
    state, text = receptionist.booking_update(booked, "approved")
    assert "confirmed your booking BK/0001" in text and state["status"] == BOOKED


def test_a_declined_request_reopens_the_conversation(desk, receptionist):
    state = {**new_state(phone="+61400123456"), "name": "Ann", "address": "1 Oak Rd", "notes": ""}
    booked = talk(receptionist, ["lawn mowing", "1"], state)[-1].state
    state, text = receptionist.booking_update(booked, "declined")
    assert "a day that suits you" in text and state["step"] == "day" and state["status"] == "open"
    again = receptionist.reply(state, "Saturday")
    assert "1. Saturday 9:00 AM" in again.reply


@pytest.mark.parametrize(
    ("event", "status", "said"),
    [
        ("cancelled", "open", "Sorry, Green Lawns had to cancel your booking BK/0001. Reply here with a day"),
        ("cancelled_by_customer", "open", ""),
        ("hold_expired", "open", "The time I held for you (BK/0001) was released"),
        ("finished", "closed", ""),
    ],
)
def test_the_conversation_follows_its_booking(desk, receptionist, event, status, said):
    """A booking that will not take place is no longer "all set": the customer talks to the receptionist again."""
    state = {**new_state(phone="+61400123456"), "name": "Ann", "address": "1 Oak Rd", "notes": ""}
    booked = talk(receptionist, ["lawn mowing", "1"], state)[-1].state
    state, text = receptionist.booking_update(booked, event)
    assert state["status"] == status and not state["reference"] and not state["link"]
    assert text.startswith(said) if said else text == ""
    if status == "open":
        hello = receptionist.reply(state, "Hello?")
        assert "all set" not in hello.reply and "Which day would suit you?" in hello.reply and hello.understood
        again = receptionist.reply(state, "Need to reschedule, can we do another day?")
        assert "all set" not in again.reply and "Which day would suit you?" in again.reply
        assert receptionist.reply(again.state, "Saturday").reply.startswith("I have these times available:\n1. Sat")


def test_news_of_a_booking_while_booking_another_keeps_the_booking_under_way(desk, receptionist):
    state = {**new_state(phone="+61400123456"), "name": "Ann", "address": "1 Oak Rd", "notes": ""}
    booked = talk(receptionist, ["lawn mowing", "1"], state)[-1].state
    choosing = receptionist.reply(booked, "and a hedge trimming too").state
    assert choosing["status"] == "open" and choosing["service_id"] == 2
    state, text = receptionist.booking_update(choosing, "declined", reference="BK/0001")
    assert state == choosing
    assert text == "Sorry, your booking BK/0001 with Green Lawns will not take place."


def test_news_of_a_booking_a_person_took_over_keeps_the_person():
    desk = FakeDesk()
    receptionist = Receptionist(desk)
    state = {**new_state(phone="+61400123456"), "name": "Ann", "address": "1 Oak Rd", "notes": ""}
    booked = talk(receptionist, ["lawn mowing", "1", "can I talk to someone?"], state)[-1].state
    state, text = receptionist.booking_update(booked, "declined")
    assert state["status"] == HANDED_OFF and "The team will get back to you" in text


# --- free text about the booking (the seed: "Need to reschedule? Reply to this SMS") ---


def test_asking_to_move_or_cancel_the_booking_made_here():
    """Not "You're all set": where to do it (the booking's link), or a person when there is none."""
    desk = FakeDesk()
    receptionist = Receptionist(desk)
    state = {**new_state(phone="+61400123456"), "name": "Ann", "address": "1 Oak Rd", "notes": ""}
    booked = talk(receptionist, ["lawn mowing", "1"], state)[-1].state
    booked["link"] = "https://salon.example/p/s/booking/1?access_token=x"
    for text in ("Need to reschedule, can we do another day?", "I have to cancel my booking", "can I move it?"):
        turn = receptionist.reply(booked, text)
        assert turn.reply == "You can move or cancel BK/0001 here: https://salon.example/p/s/booking/1?access_token=x"
    turn = receptionist.reply({**booked, "link": None}, "please cancel it")
    assert turn.event == "handed_off" and desk.hand_offs[-1][0] == "asked"


def test_cancel_before_anything_is_booked_stops_there(desk, receptionist):
    state = {**new_state(phone="+61400123456"), "name": "Ann", "address": "1 Oak Rd", "notes": ""}
    offered = receptionist.reply(state, "lawn mowing")
    turn = receptionist.reply(offered.state, "actually cancel that")
    assert "nothing is booked" in turn.reply and not desk.bookings
    assert turn.state["status"] == "open" and turn.state["service_id"] is None and turn.state["name"] == "Ann"


# --- naming one of the times offered ---


TODAY = NOW.date()  # a Tuesday


@pytest.mark.parametrize(
    ("text", "booked"),
    [
        ("Thursday 2pm works", at(THU, 14)),
        ("thursday at 2 works", at(THU, 14)),
        ("Tuesday 2pm works", at(TODAY, 14)),  # said on a Tuesday: today's 2 PM, not next week's
        ("Saturday 9 works", at(SAT, 9)),
        ("the Saturday one please", at(SAT, 9)),
        ("sat 9am", at(SAT, 9)),
    ],
)
def test_a_reply_naming_an_offered_time_books_it(text, booked):
    free = [at(TODAY, 14), at(THU, 14), at(SAT, 9)]
    desk = FakeDesk(free=free)
    receptionist = Receptionist(desk)
    state = {**new_state(phone="+61400123456"), "name": "Ann", "address": "1 Oak Rd", "notes": ""}
    offered = receptionist.reply(state, "lawn mowing")
    assert offered.state["offers"] == [start.isoformat() for start in free]
    turn = receptionist.reply(offered.state, text)
    assert turn.event == "booked", turn.reply
    assert desk.bookings[0]["start"] == booked


@pytest.mark.parametrize(
    "text", ["2pm works", "something in the morning?", "Thursday 9am", "can we do Friday?", "next Thursday 2pm"]
)
def test_a_reply_that_names_no_single_offer_asks_again(text):
    """Two offers at 2 PM; a part of the day alone; a time not offered: new offers, nothing booked."""
    desk = FakeDesk(free=[at(TODAY, 14), at(THU, 14), at(SAT, 9)])
    receptionist = Receptionist(desk)
    state = {**new_state(phone="+61400123456"), "name": "Ann", "address": "1 Oak Rd", "notes": ""}
    offered = receptionist.reply(state, "lawn mowing")
    turn = receptionist.reply(offered.state, text)
    assert turn.event is None and not desk.bookings and turn.state["step"] in ("times", "day", "waitlist")


# --- the edges ---


def test_two_misunderstandings_in_a_row_hand_off(desk, receptionist):
    state = {**new_state(phone="+61400123456"), "name": "Ann", "address": "1 Oak Rd", "notes": "", "service_id": 1}
    first = receptionist.reply(state, "lawn please")
    assert first.state["step"] == "times"
    miss = receptionist.reply(first.state, "banana")
    assert not miss.understood and miss.event is None and miss.state["misses"] == 1
    again = receptionist.reply(miss.state, "purple")
    assert again.event == "handed_off" and desk.hand_offs[0][0] == "misunderstood"


def test_a_misunderstanding_then_an_answer_resets_the_count(desk, receptionist):
    state = {**new_state(phone="+61400123456"), "name": "Ann", "address": "1 Oak Rd", "notes": ""}
    turns = talk(receptionist, ["I want something", "banana", "mowing", "xyz"], state)
    assert [turn.understood for turn in turns] == [True, False, True, False]
    assert not desk.hand_offs


def test_asks_for_a_person(desk, receptionist):
    turn = receptionist.reply(new_state(), "Actually, can I talk to someone please?")
    assert turn.event == "handed_off" and desk.hand_offs[0][0] == "asked"
    assert "What's the best number to reach you on?" in turn.reply  # no number known yet (live chat)
    given = receptionist.reply(turn.state, "0400 999 888")
    assert given.event == "contact_given" and given.state["phone"] == "+61400999888"
    assert "reach you on +61400999888" in given.reply


def test_live_operator_joins(desk, receptionist):
    desk.operator = "Maria"
    turn = receptionist.reply(new_state(), "I'd like to speak to a human")
    assert turn.hand_off.live and "Maria from the team is joining" in turn.reply


def test_ambiguous_service_asks_which(desk, receptionist):
    turns = talk(receptionist, ["I need some trimming", "2"], new_state(phone="+61400123456"))
    assert "Did you mean: 1. Hedge trimming 2. Tree trimming?" in turns[0].reply
    assert turns[1].state["service_id"] == 4 and "What's the address of the job?" in turns[1].reply


def test_ambiguous_service_answered_by_name(receptionist):
    turns = talk(receptionist, ["trimming", "the hedges"], new_state(phone="+61400123456"))
    assert turns[1].state["service_id"] == 2


def test_keywords_find_the_service(receptionist):
    assert receptionist.reply(new_state(), "my grass is too long").state["service_id"] == 1


def test_fully_booked_day_offers_the_waitlist(desk, receptionist):
    state = {**new_state(phone="+61400123456"), "name": "Ann", "address": "1 Oak Rd", "notes": "", "service_id": 1}
    turns = talk(receptionist, ["Monday 9 November", "yes"], state)
    assert "fully booked on Monday 9 November" in turns[0].reply and "waitlist" in turns[0].reply
    assert turns[1].event == "waitlisted"
    assert desk.waitlist == [
        (
            {
                "service_id": 1,
                "name": "Ann",
                "phone": "+61400123456",
                "email": None,
                "address": "1 Oak Rd",
                "notes": "",
            },
            date(2026, 11, 9),
        )
    ]


def test_fully_booked_for_weeks(receptionist, desk):
    desk.free = []
    state = {**new_state(phone="+61400123456"), "name": "Ann", "address": "1 Oak Rd", "notes": ""}
    turn = receptionist.reply(state, "lawn mowing")
    assert "fully booked" in turn.reply and turn.state["step"] == "day"


def test_time_taken_meanwhile_brings_new_offers(desk, receptionist):
    state = {**new_state(phone="+61400123456"), "name": "Ann", "address": "1 Oak Rd", "notes": ""}
    offered = receptionist.reply(state, "lawn mowing")
    desk.taken_on_book.add(at(THU, 14))  # somebody booked it on the page meanwhile
    taken = receptionist.reply(offered.state, "1")
    assert taken.event is None and "just taken" in taken.reply
    assert "Thursday 2:00 PM" not in taken.reply and "1. Friday 10:30 AM" in taken.reply
    booked = receptionist.reply(taken.state, "1")
    assert booked.event == "booked" and desk.bookings[0]["start"] == at(FRI, 10, 30)


def test_deposit_sends_a_payment_link():
    desk = FakeDesk(state="pending_payment")
    state = {**new_state(email="ann@example.com"), "name": "Ann", "address": "1 Oak Rd", "notes": ""}
    turns = talk(Receptionist(desk), ["mow my lawn", "Saturday 9am"], state)
    assert turns[1].event == "booked"
    assert "deposit of $20.00 within 30 minutes: https://pay.example/1" in turns[1].reply


def test_refused_by_the_page_goes_to_a_person(desk, receptionist):
    desk.refuse = "Please call us to book."
    state = {**new_state(phone="+61400123456"), "name": "Ann", "address": "1 Oak Rd", "notes": ""}
    turns = talk(receptionist, ["lawn mowing", "1"], state)
    assert turns[1].event == "handed_off" and turns[1].reply.startswith("Please call us to book.")


def test_too_many_bookings_is_said_without_bothering_anyone(desk, receptionist):
    desk.refuse = Limited("Too many requests from you. Try again in 10 minutes.")
    state = {**new_state(phone="+61400123456"), "name": "Ann", "address": "1 Oak Rd", "notes": ""}
    turns = talk(receptionist, ["lawn mowing", "1"], state)
    assert turns[1].reply == "Too many requests from you. Try again in 10 minutes."
    assert turns[1].event is None and not desk.hand_offs


def test_contact_from_the_live_chat(receptionist):
    turns = talk(
        receptionist,
        ["hedge trimming", "2 Elm St, Ipswich", "Zoë O'Neil", "not sure", "you can mail me at Zoe@Example.com"],
        new_state(),
    )
    assert turns[2].state["name"] == "Zoë O'Neil" and "phone number or e-mail" in turns[2].reply
    assert not turns[3].understood
    assert turns[4].state["email"] == "zoe@example.com" and "Anything the team should know" in turns[4].reply


def test_a_second_booking_after_the_first(desk, receptionist):
    state = {**new_state(phone="+61400123456"), "name": "Ann", "address": "1 Oak Rd", "notes": ""}
    booked = talk(receptionist, ["lawn mowing", "1"], state)[-1]
    assert "all set" in receptionist.reply(booked.state, "thanks!").reply
    again = receptionist.reply(booked.state, "and a hedge trimming too")
    assert again.state["service_id"] == 2 and again.state["name"] == "Ann" and again.state["step"] == "notes"


def test_hostile_input_never_crashes(receptionist):
    for text in [
        "",
        " ",
        "\x00",
        "9" * 5000,
        "💇" * 300,
        "<script>alert(1)</script>",
        "99",
        "-1",
        "0",
        "at 99:99",
        "after 77",
        "31 February",
        "next 9999999 days",
        "%(business)s %s {0}",
    ]:
        turn = receptionist.reply(new_state(), text)
        assert isinstance(turn.reply, str) and turn.reply


# --- the understanding on its own ---


@pytest.mark.parametrize(
    ("text", "day_from", "day_to", "minute_from", "minute_to", "exact"),
    [
        ("next Wednesday morning", NEXT_WED, NEXT_WED, 360, 720, None),
        ("tomorrow after 3", date(2026, 11, 4), date(2026, 11, 4), 900, 1440, None),
        ("Thursday 2pm works", THU, THU, 0, 1440, "14:00"),
        ("friday at 10:30", FRI, FRI, 0, 1440, "10:30"),
        ("this week", date(2026, 11, 3), date(2026, 11, 8), 0, 1440, None),
        ("next week in the afternoon", date(2026, 11, 9), date(2026, 11, 15), 720, 1020, None),
        ("the weekend", SAT, date(2026, 11, 8), 0, 1440, None),
        ("before 11 on Saturday", SAT, SAT, 0, 660, None),
        ("can we do Friday?", FRI, FRI, 0, 1440, None),  # "we" is no Wednesday
    ],
)
def test_wishes(text, day_from, day_to, minute_from, minute_to, exact):
    reading = RuleUnderstanding().read(text, services=[], now=NOW, lang="en_US")
    wish = reading.wish
    assert (wish.day_from, wish.day_to, wish.minute_from, wish.minute_to) == (day_from, day_to, minute_from, minute_to)
    assert (wish.exact.strftime("%H:%M") if wish.exact else None) == exact


@pytest.mark.parametrize(
    ("text", "intent", "pick"),
    [
        ("2", None, 2),
        ("option 3", None, 3),
        ("the second one", None, 2),
        ("1.", None, 1),
        ("none of those work", "none_of_those", None),
        ("can I talk to someone", "human", None),
        ("I'd like a quote for a new patio", "beyond", None),
        ("yes please", "yes", None),
        ("nope", "no", None),
        ("Hello!", "greeting", None),
        ("Hello?", "greeting", None),
        ("Need to reschedule, can we do another day?", "reschedule", None),
        ("can I move my appointment to Friday", "reschedule", None),
        ("I need to cancel", "cancel", None),
        ("I want to cancel and get a refund", "beyond", None),
        ("none of those, another day please", "none_of_those", None),
    ],
)
def test_intents(text, intent, pick):
    reading = RuleUnderstanding().read(text, services=[], now=NOW)
    assert (reading.intent, reading.pick) == (intent, pick)
