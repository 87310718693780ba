"""The API contract: validation messages and the OpenAPI document (no Odoo needed)."""

import json
from datetime import date

import pytest

from booking_api.schema import SCHEMAS
from booking_api.schema import build_document
from booking_api.schema import parse_query
from booking_api.schema import parse_time
from booking_api.schema import ref
from booking_api.schema import validate

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


def test_every_reference_resolves():
    text = json.dumps(build_document())
    for name in {part.split('"')[0] for part in text.split("#/components/schemas/")[1:]}:
        assert name in SCHEMAS


def test_document_is_valid_openapi_3_1():
    validator = pytest.importorskip("openapi_spec_validator")
    document = build_document("https://example.com")
    validator.validate(document)
    assert document["openapi"] == "3.1.0"
    paths = document["paths"]
    assert set(paths) == {
        "/openapi.json", "/pages/{slug}", "/pages/{slug}/slots", "/pages/{slug}/bookings", "/pages/{slug}/waitlist",
        "/pages/{slug}/session", "/pages/{slug}/session/verify", "/me/session", "/me/bookings",
        "/me/bookings/{booking_id}", "/me/bookings/{booking_id}/slots",
    }
    assert paths["/me/bookings"]["get"]["security"] == [{"customerSession": []}]
    assert document["components"]["securitySchemes"]["customerSession"]["scheme"] == "bearer"
    booking_responses = paths["/pages/{slug}/bookings"]["post"]["responses"]
    assert {"201", "400", "404", "409", "429"} <= set(booking_responses)
    assert "Retry-After" in booking_responses["429"]["headers"]


def test_examples_in_the_document_follow_their_schema():
    document = build_document()
    for path in document["paths"].values():
        for operation in path.values():
            for response in operation["responses"].values():
                content = response.get("content", {}).get("application/json", {})
                if "example" in content:
                    assert validate(content["example"], content["schema"]) == {}


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
