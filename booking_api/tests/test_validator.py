"""The validator: request bodies, query strings and dates against the API's schemas (no Odoo needed)."""

import json
from datetime import date

import pytest

from booking_api.schemas import MAX_DEPTH
from booking_api.schemas import ref
from booking_api.validator import Message
from booking_api.validator import loads
from booking_api.validator import parse_datetime
from booking_api.validator import parse_query
from booking_api.validator import parse_time
from booking_api.validator import split_mismatch
from booking_api.validator import translate_errors
from booking_api.validator import validate

GOOD_BOOKING = {
    "service_id": 3,
    "provider_id": None,
    "start": "2025-06-02T08:00:00Z",
    "customer": {"name": "Jane Doe", "email": "jane@example.com", "phone": "+1 555 0100"},
    "note": "first visit",
}


def booking(**changes):
    body = json.loads(json.dumps(GOOD_BOOKING))
    for key, value in changes.items():
        if value is KeyError:
            body.pop(key)
        else:
            body[key] = value
    return body


def test_a_good_booking_validates():
    assert validate(GOOD_BOOKING, ref("BookingRequest")) == {}
    assert validate(booking(start="2025-06-02T10:00:00+02:00"), ref("BookingRequest")) == {}


@pytest.mark.parametrize(
    "changes,field,message",
    [
        ({"service_id": KeyError}, "service_id", "is required"),
        ({"service_id": "3"}, "service_id", "must be an integer"),
        ({"service_id": True}, "service_id", "must be an integer"),
        ({"service_id": 0}, "service_id", "must be at least 1"),
        ({"provider_id": "any"}, "provider_id", "must be an integer or null"),
        ({"start": "2025-06-02T08:00:00"}, "start", "must include a time zone"),
        ({"start": "tomorrow"}, "start", "ISO 8601"),
        ({"start": None}, "start", "is required"),
        ({"customer": {"email": "a@b.co"}}, "customer.name", "is required"),
        ({"customer": {"name": " ", "email": "a@b.co"}}, "customer.name", "is required"),
        ({"customer": {"name": "Jo", "email": "not-an-email"}}, "customer.email", "not a valid e-mail"),
        ({"customer": {"name": "x" * 121}}, "customer.name", "at most 120"),
        ({"customer": "Jane"}, "customer", "must be an object"),
        ({"note": "n" * 2001}, "note", "at most 2000"),
        ({"extra": 1}, "extra", "not an accepted field"),
    ],
)
def test_booking_errors_name_the_field(changes, field, message):
    errors = validate(booking(**changes), ref("BookingRequest"))
    assert field in errors, errors
    assert message in errors[field]


def test_body_must_be_an_object():
    assert validate([1, 2], ref("BookingRequest")) == {"body": "must be an object"}


def test_waitlist_times():
    body = {"service_id": 1, "date": "2025-06-02", "time_from": "09:30", "time_to": "24:00",
            "customer": {"name": "Jo", "email": "jo@example.com"}}
    assert validate(body, ref("WaitlistRequest")) == {}
    body["time_from"] = "9h30"
    assert validate(body, ref("WaitlistRequest")) == {"time_from": "must be a time as HH:MM"}
    body["date"] = "2025-6-2"
    assert "date" in validate(body, ref("WaitlistRequest"))
    assert parse_time("09:30") == 9.5
    assert parse_time("24:00") == 24.0


def test_query_parameters_are_typed_and_checked():
    values, errors = parse_query("slots", {"service_id": "4", "date_from": "2025-06-02"})
    assert errors == {}
    assert values == {"service_id": 4, "date_from": date(2025, 6, 2)}
    _values, errors = parse_query("slots", {"service_id": "four", "date_from": "June", "colour": "red"})
    assert errors == {
        "service_id": "must be an integer",
        "date_from": "must be a date as YYYY-MM-DD",
        "colour": "is not an accepted parameter",
    }
    _values, errors = parse_query("slots", {})
    assert errors == {"service_id": "is required", "date_from": "is required"}
    _values, errors = parse_query("slots", {"service_id": "99999999999", "date_from": "2025-06-02"})
    assert errors == {"service_id": "must be an integer"}


def test_customer_session_and_change_bodies():
    assert validate({"email": "a@example.com"}, ref("SessionRequest")) == {}
    assert validate({"email": "a@example.com", "code": "123456"}, ref("SessionVerifyRequest")) == {}
    assert validate({"email": "a@example.com", "code": "12345"}, ref("SessionVerifyRequest")) == {
        "code": "has an invalid format"}
    assert validate({"action": "cancel", "reason": "sick"}, ref("BookingChange")) == {}
    assert validate({"action": "reschedule", "start": "2025-06-02T08:00:00Z", "any_provider": True},
                    ref("BookingChange")) == {}
    assert "action" in validate({"action": "delete"}, ref("BookingChange"))
    assert validate({"action": "reschedule", "start": "2025-06-02 08:00"}, ref("BookingChange")) == {
        "start": "must include a time zone: Z or an offset like +02:00"}
    _values, errors = parse_query("my_bookings", {"filter": "soon"})
    assert errors == {"filter": "must be one of upcoming, past, cancelled"}


# === HOSTILE INPUT (issue: trust) === #


@pytest.mark.parametrize("text", [
    "a\x00b", "nul\u0000", "bell\x07", "esc\x1b[31m", "del\x7f", "c1\x85", "lone \ud800 surrogate", "\udfff",
])
def test_control_characters_are_refused_in_every_string(text):
    assert validate(booking(note=text), ref("BookingRequest")) == {"note": "must not contain control characters"}
    customer = {"name": f"Jo {text}", "email": "jo@example.com"}
    assert validate(booking(customer=customer), ref("BookingRequest")) == {
        "customer.name": "must not contain control characters"}


def test_line_breaks_only_in_free_text():
    assert validate(booking(note="line one\nline two\r\n\tindented"), ref("BookingRequest")) == {}
    for field in ("name", "phone"):
        customer = {"name": "Jo Doe", "email": "jo@example.com", field: "Jo\nBcc: x@example.com"}
        assert validate(booking(customer=customer), ref("BookingRequest")) == {
            f"customer.{field}": "must fit on one line"}


@pytest.mark.parametrize("value,message", [
    ("2026-W49-1T17:00:00Z", "RFC 3339"),  # ISO week date: Python 3.11 would read it
    ("2026-335T17:00:00Z", "RFC 3339"),  # ordinal date
    ("20261201T170000Z", "RFC 3339"),  # basic format
    ("2026-12-01T17:00Z", "RFC 3339"),  # no seconds
    ("2026-12-01T17:00:00+0100", "RFC 3339"),  # offset without colon
    ("２０２６-12-01T17:00:00Z", "RFC 3339"),  # full-width digits
    ("2026-12-01T17:00:00.1234567Z", "RFC 3339"),
    ("2026-12-01T24:00:00Z", "RFC 3339"),
    ("2026-12-01T17:00:00+24:00", "RFC 3339"),
    ("0001-01-01T00:00:00Z", "between the years 1970 and 2100"),
    ("9999-12-31T23:59:59-14:00", "between the years 1970 and 2100"),
    ("2100-12-31T23:00:00-14:00", "between the years 1970 and 2100"),  # 2101 in UTC
    ("1969-12-31T23:59:59Z", "between the years 1970 and 2100"),
])
def test_start_is_rfc3339_in_a_sane_range(value, message):
    errors = validate(booking(start=value), ref("BookingRequest"))
    assert message in errors.get("start", ""), errors


def test_rfc3339_variants_that_are_fine():
    for value in ("2026-12-01T17:00:00Z", "2026-12-01t17:00:00z", "2026-12-01T17:00:00.250+01:00",
                  "2026-12-01T17:00:00-09:30"):
        assert validate(booking(start=value), ref("BookingRequest")) == {}, value
    assert parse_datetime("2026-12-01t17:00:00z").utcoffset().total_seconds() == 0


@pytest.mark.parametrize("value", [
    "0001-01-01", "9999-12-31", "2026-W49-1", "2026-335", "２０２６-12-01", "2026-02-30",
])
def test_dates_are_plain_and_in_range(value):
    body = {"service_id": 1, "date": value, "customer": {"name": "Jo", "email": "jo@example.com"}}
    assert "date" in validate(body, ref("WaitlistRequest"))
    _values, errors = parse_query("slots", {"service_id": "1", "date_from": value})
    assert "date_from" in errors


def test_ids_are_ascii_digits_within_postgresql_integers():
    for raw in ("²", "٣", "３", "-1", "+1", "1.0", " 1", "1e3", "0x10", "9999999999"):
        _values, errors = parse_query("slots", {"service_id": raw, "date_from": "2026-12-01"})
        assert "service_id" in errors, raw
    assert validate(booking(service_id=2**31), ref("BookingRequest")) == {"service_id": "must be at most 2147483647"}
    assert validate(booking(service_id=2**31 - 1), ref("BookingRequest")) == {}


def test_times_are_ascii():
    body = {"service_id": 1, "date": "2026-12-01", "time_from": "0٩:00",
            "customer": {"name": "Jo", "email": "jo@example.com"}}
    assert validate(body, ref("WaitlistRequest")) == {"time_from": "must be a time as HH:MM"}


def test_body_depth_is_bounded_without_recursion():
    for depth in (MAX_DEPTH + 1, 5000, 100000):
        for text in ("[" * depth + "]" * depth, '{"a":' * depth + "1" + "}" * depth):
            with pytest.raises(ValueError):
                loads(text.encode())
    nested = "[" * MAX_DEPTH + "]" * MAX_DEPTH
    assert loads(nested) is not None
    # brackets inside strings are text, not nesting
    assert loads(json.dumps({"note": "[" * 100}).encode()) == {"note": "[" * 100}


@pytest.mark.parametrize("text", ['{"a": NaN}', '{"a": Infinity}', '{"a": -Infinity}', "\xff\xfe", '{"a": 1'])
def test_bodies_that_are_not_json(text):
    with pytest.raises(ValueError):
        loads(text.encode("latin-1"))


def test_non_finite_numbers_are_refused():
    schema = {"type": "number"}
    assert validate(float("inf"), schema) == {"body": "must be a finite number"}
    assert validate(float("nan"), schema) == {"body": "must be a finite number"}
    # 1e400 is valid JSON that Python reads as infinity
    assert validate(loads(b'{"a": 1e400}')["a"], schema) == {"body": "must be a finite number"}


def test_keys_with_control_characters_are_refused():
    with pytest.raises(ValueError):
        loads(b'{"\\ud800": 1}')
    with pytest.raises(ValueError):
        loads(b'{"a\\u0000": 1}')


def test_a_final_line_break_is_not_the_end_of_a_pattern():
    assert "code" in validate({"email": "a@example.com", "code": "123456\n"}, ref("SessionVerifyRequest"))
    customer = {"name": "Jo Doe\n", "email": "jo@example.com"}
    assert validate(booking(customer=customer), ref("BookingRequest")) == {"customer.name": "must fit on one line"}
    assert "start" in validate(booking(start="2025-06-02T08:00:00Z\n"), ref("BookingRequest"))


def test_idempotency_keys_are_long_enough_to_be_secret():
    from booking_api.validator import IDEMPOTENCY_KEY_RE  # noqa: PLC0415

    assert IDEMPOTENCY_KEY_RE.fullmatch("3f1c2d9e-6a7b-4c5d-8e9f-0a1b2c3d4e5f")
    for key in ("order-1001", "x" * 15, "x" * 256, "with a space in it", "a-key-with-a-newline\n"):
        assert not IDEMPOTENCY_KEY_RE.fullmatch(key), key


def test_messages_are_english_and_translatable():
    """Errors read as English text, and go through the reader's gettext with their values kept."""
    errors = validate({"service_id": "3"}, ref("BookingRequest"))
    assert errors["service_id"] == "must be an integer"
    assert isinstance(errors["service_id"], Message)
    def gettext(template, **params):
        return "FR:" + (template % params if params else template)

    translated = translate_errors(errors, gettext)
    assert translated["service_id"] == "FR:must be an integer"
    assert all(message.startswith("FR:") for message in translated.values())


def test_contract_mismatch_is_told_from_bad_values():
    errors = validate(booking(service_id="3", colour="red", note="x" * 5000,
                              customer={"name": "", "email": "a@example.com", "mobile": 1}),
                      ref("BookingRequest"))
    mismatch, other = split_mismatch(errors)
    assert set(mismatch) == {"service_id", "colour", "customer.mobile"}
    assert set(other) == {"note", "customer.name"}
    assert split_mismatch(validate([1], ref("BookingRequest")))[0] == {"body": "must be an object"}
    # null is a missing value, not another shape
    mismatch, other = split_mismatch(validate(booking(customer=None, service_id=None), ref("BookingRequest")))
    assert not mismatch and set(other) == {"customer", "service_id"}
    # bad values of the right type are no mismatch: enum, format, range, required
    _mismatch, other = split_mismatch(validate(booking(start="tomorrow", service_id=0), ref("BookingRequest")))
    assert not _mismatch and set(other) == {"start", "service_id"}
    _values, errors = parse_query("slots", {"service_id": "four", "date_from": "2025-06-02", "colour": "red"})
    mismatch, other = split_mismatch(errors)
    assert list(mismatch) == ["colour"] and list(other) == ["service_id"]


@pytest.mark.parametrize("route", ["slots", "my_slots"])
def test_slots_format_is_one_of_two_words(route):
    base = {"service_id": "4", "date_from": "2025-06-02"} if route == "slots" else {"date_from": "2025-06-02"}
    for value in ("slots", "days"):
        values, errors = parse_query(route, {**base, "format": value})
        assert (errors, values["format"]) == ({}, value)
    values, errors = parse_query(route, {**base, "format": ""})
    assert errors == {} and "format" not in values, "empty: the default (slots)"
    for value in ("DAYS", "day", " days", "days ", "slots,days", "x" * 10000, "0", "null", "d\u0430ys", "days\x00"):
        _values, errors = parse_query(route, {**base, "format": value})
        assert list(errors) == ["format"], value
