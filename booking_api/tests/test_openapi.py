"""The OpenAPI document, built from the very schemas requests are validated against (no Odoo needed)."""

import json

import pytest

from booking_api.openapi import build_document
from booking_api.schemas import SCHEMAS
from booking_api.validator import validate


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
        "/pages/{slug}/session", "/pages/{slug}/session/verify", "/me/session", "/me/live", "/me/bookings",
        "/me/bookings/{booking_id}", "/me/bookings/{booking_id}/slots",
        "/pages/{slug}/reviews", "/pages/{slug}/series", "/pages/{slug}/series/plan",
        "/me/bookings/{booking_id}/cancel-following", "/me/notification-preferences",
        "/merchant/appointments", "/merchant/appointments/{appointment_id}",
        "/merchant/appointments/{appointment_id}/{action}",
    }
    assert paths["/me/bookings"]["get"]["security"] == [{"customerSession": []}]
    preferences = paths["/me/notification-preferences"]
    assert preferences["get"]["security"] == preferences["patch"]["security"] == [{"customerSession": []}]
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


def test_document_describes_idempotency_and_proven_customers():
    document = build_document()
    for path in ("/pages/{slug}/bookings", "/pages/{slug}/waitlist"):
        operation = document["paths"][path]["post"]
        names = [parameter["name"] for parameter in operation["parameters"]]
        assert "Idempotency-Key" in names
        assert {"401", "422"} <= set(operation["responses"])
        assert {} in operation["security"], "signing in stays optional"
    error_codes = SCHEMAS["Error"]["properties"]["error"]["description"]
    for code in ("already_booked", "idempotency_key_reused"):
        assert code in error_codes


def test_merchant_api_has_its_own_tag_and_security_scheme():
    document = build_document()
    schemes = document["components"]["securitySchemes"]
    assert schemes["merchantApiKey"] == {**schemes["merchantApiKey"], "type": "http", "scheme": "bearer"}
    assert [tag["name"] for tag in document["tags"]] == ["merchant"]
    merchant = {path: item for path, item in document["paths"].items() if path.startswith("/merchant/")}
    assert len(merchant) == 3
    for item in merchant.values():
        for operation in item.values():
            assert operation["tags"] == ["merchant"]
            assert operation["security"] == [{"merchantApiKey": []}]
    action = merchant["/merchant/appointments/{appointment_id}/{action}"]["post"]
    allowed = next(p for p in action["parameters"] if p["name"] == "action")["schema"]["enum"]
    assert allowed == ["approve", "decline", "cancel", "check_in", "complete", "no_show", "move"]
    for item in document["paths"].values():  # the customer routes never take the merchant's key
        for operation in item.values():
            if "merchant" not in operation.get("tags", []):
                assert {"merchantApiKey": []} not in operation.get("security", [])


def test_slots_answers_come_in_two_formats():
    """format=slots keeps 1.0's answer (the default); format=days is its own schema; the 200 is either."""
    document = build_document()
    for path in ("/pages/{slug}/slots", "/me/bookings/{booking_id}/slots"):
        operation = document["paths"][path]["get"]
        (parameter,) = [p for p in operation["parameters"] if p["name"] == "format"]
        assert parameter["schema"]["enum"] == ["slots", "days"] and not parameter["required"]
        schema = operation["responses"]["200"]["content"]["application/json"]["schema"]
        assert schema == {"oneOf": [{"$ref": "#/components/schemas/SlotsResponse"},
                                    {"$ref": "#/components/schemas/SlotDaysResponse"}]}
        assert "gzip" in operation["description"]
        assert "400" in operation["responses"]
    days = {"format": "days", "timezone": "Europe/Paris", "provider_id": 5, "duration_minutes": 60,
            "days": [{"date": "2025-06-02", "midnight": "2025-06-01T22:00:00Z", "starts": [540, 600]}],
            "open_dates": ["2025-06-02"]}
    assert validate(days, SCHEMAS["SlotDaysResponse"], "answer") == {}
    assert validate({**days, "days": [{"date": "2025-06-02", "starts": [540]}]}, SCHEMAS["SlotDaysResponse"],
                    "answer"), "midnight is required"
    assert validate({"format": "slots", "timezone": "Europe/Paris", "slots": []}, SCHEMAS["SlotsResponse"],
                    "answer") == {}
