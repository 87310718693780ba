"""The public booking API's contract: its JSON Schemas and the limits they state.

Pure data, no Odoo import. Requests are validated against these schemas
(``validator.py``) and ``openapi.json`` is built from the very same ones
(``openapi.py``), so the document and the behaviour cannot drift apart.
"""

API_PREFIX = "/booking/api/v1"
API_VERSION = "1.1.0"  # 1.1: the slots routes' format=days and gzip
MAX_BODY_BYTES = 16 * 1024
MAX_DEPTH = 8  # objects and arrays nested in a body: the deepest schema needs 3
MAX_ID = 2**31 - 1  # PostgreSQL's integer: a larger id is no record, never a database error
# Dates and times outside this range are refused: nobody books there, and
# their arithmetic (time zones, slot grids) would overflow Python's datetime.
MIN_YEAR, MAX_YEAR = 1970, 2100
SINGLE_LINE = "^[^\\r\\n\\t]*$"  # JSON Schema's pattern of the fields that fit on one line

# ---------------------------------------------------------------------------
# Components
# ---------------------------------------------------------------------------

REF = "#/components/schemas/"


def ref(name):
    return {"$ref": REF + name}


def id_schema(nullable=False, **extra):
    """A record id: a positive PostgreSQL integer."""
    return {"type": ["integer", "null"] if nullable else "integer", "minimum": 1, "maximum": MAX_ID, **extra}


SCHEMAS = {
    "Customer": {
        "type": "object",
        "description": "Who the booking is for. At least an e-mail or a phone. Ignored for a customer who proved "
        "who they are (signed in, or a bearer token from a one-time code).",
        "additionalProperties": False,
        "required": ["name"],
        "properties": {
            "name": {"type": "string", "minLength": 2, "maxLength": 120, "pattern": SINGLE_LINE},
            "email": {"type": ["string", "null"], "format": "email", "maxLength": 254, "pattern": SINGLE_LINE},
            "phone": {
                "type": ["string", "null"],
                "maxLength": 32,
                "pattern": SINGLE_LINE,
                "description": "Any format; normalised to E.164 with the page's country as default.",
            },
        },
    },
    "BookingRequest": {
        "type": "object",
        "additionalProperties": False,
        "required": ["service_id", "start"],
        "properties": {
            "service_id": id_schema(),
            "provider_id": id_schema(
                nullable=True, description="null: any available provider (the least loaded that day)."),
            "start": {
                "type": "string",
                "format": "date-time",
                "maxLength": 40,
                "description": "A start returned by the slots route, ISO 8601 with Z or an offset.",
            },
            "customer": ref("Customer"),
            "note": {"type": ["string", "null"], "maxLength": 2000},
            "address": {
                "type": ["string", "null"], "maxLength": 300,
                "description": "Where the job takes place: required for services at the customer's address "
                "(the service's location is customer).",
            },
        },
    },
    "WaitlistRequest": {
        "type": "object",
        "additionalProperties": False,
        "required": ["service_id", "date"],
        "properties": {
            "service_id": id_schema(),
            "provider_id": id_schema(nullable=True),
            "date": {"type": "string", "format": "date", "description": "Preferred day, in the page's time zone."},
            "time_from": {"type": ["string", "null"], "format": "time",
                          "description": "HH:MM, local time, before time_to (and before 24:00)."},
            "time_to": {"type": ["string", "null"], "format": "time",
                        "description": "HH:MM, local time, after time_from; 24:00 is the end of the day."},
            "customer": ref("Customer"),
            "note": {"type": ["string", "null"], "maxLength": 2000},
            "address": {
                "type": ["string", "null"], "maxLength": 300,
                "description": "Where the job takes place: required for services at the customer's address "
                "(the service's location is customer); an offered time is booked there.",
            },
        },
    },
    "SessionRequest": {
        "type": "object",
        "description": "Ask for a one-time code: by e-mail when one is given, else by SMS to the phone (E.164 or "
        "local to the page). When several customers share the detail given, the answer asks for the other one.",
        "additionalProperties": False,
        "properties": {
            "email": {"type": ["string", "null"], "format": "email", "maxLength": 254, "pattern": SINGLE_LINE},
            "phone": {"type": ["string", "null"], "maxLength": 32, "pattern": SINGLE_LINE},
        },
    },
    "SessionVerifyRequest": {
        "type": "object",
        "additionalProperties": False,
        "required": ["code"],
        "properties": {
            "email": {"type": ["string", "null"], "format": "email", "maxLength": 254, "pattern": SINGLE_LINE},
            "phone": {"type": ["string", "null"], "maxLength": 32, "pattern": SINGLE_LINE},
            "code": {"type": "string", "pattern": "^[0-9]{6}$", "description": "The six digits received."},
        },
    },
    "SessionResponse": {
        "type": "object",
        "required": ["token", "token_type", "expires_at"],
        "properties": {
            "token": {"type": "string", "description": "Send as Authorization: Bearer <token>."},
            "token_type": {"type": "string", "enum": ["Bearer"]},
            "expires_at": {"type": "string", "format": "date-time"},
            "customer": {
                "type": "object",
                "description": "Who the token acts for: bookings and waitlist requests sent with it are theirs.",
                "properties": {"name": {"type": "string"}, "email": {"type": ["string", "null"]},
                               "phone": {"type": ["string", "null"]}},
            },
        },
    },
    "CodeSentResponse": {
        "type": "object",
        "required": ["status"],
        "properties": {
            "status": {"type": "string", "enum": ["code_sent"],
                       "description": "Same answer whether or not the address is known."},
            "expires_in": {"type": "integer", "description": "Seconds the code is valid."},
        },
    },
    "BookingChange": {
        "type": "object",
        "additionalProperties": False,
        "required": ["action"],
        "properties": {
            "action": {"type": "string", "enum": ["cancel", "reschedule"]},
            "reason": {"type": ["string", "null"], "maxLength": 500, "description": "cancel only"},
            "start": {"type": ["string", "null"], "format": "date-time", "maxLength": 40,
                      "description": "reschedule only: the new start, from the slots route."},
            "any_provider": {"type": ["boolean", "null"],
                             "description": "reschedule only: allow another provider (default: keep)."},
        },
    },
    "NotificationPreferences": {
        "type": "object",
        "description": "How the customer wants to be told. channel: default (as each business's rules send), "
        "email, sms or both; a message about a booking that cannot reach them that way (no phone, no e-mail, "
        "STOP) goes by the other way. marketing: review requests and invitations to book again.",
        "required": ["channel", "marketing"],
        "properties": {
            "channel": {"type": "string", "enum": ["default", "email", "sms", "both"]},
            "marketing": {"type": "boolean"},
        },
    },
    "NotificationPreferencesChange": {
        "type": "object",
        "additionalProperties": False,
        "properties": {
            "channel": {"type": "string", "enum": ["default", "email", "sms", "both"],
                        "description": "sms and both need a phone on file, email and both an e-mail."},
            "marketing": {"type": "boolean", "description": "Review requests and follow-ups on or off."},
        },
    },
    "NotificationPreferencesResponse": {
        "type": "object",
        "required": ["preferences"],
        "properties": {"preferences": ref("NotificationPreferences")},
    },
    "CustomerBooking": {
        "type": "object",
        "required": ["id", "reference", "state", "start", "end", "cancel", "reschedule"],
        "properties": {
            "id": {"type": "integer"},
            "reference": {"type": "string"},
            "state": {"type": "string"},
            "page": {"type": "string"},
            "service": {"type": "object", "properties": {"id": {"type": "integer"}, "name": {"type": "string"}}},
            "provider": {"type": "object", "properties": {"id": {"type": "integer"}, "name": {"type": "string"}}},
            "start": {"type": "string", "format": "date-time"},
            "end": {"type": "string", "format": "date-time"},
            "timezone": {"type": "string"},
            "address": {"type": ["string", "null"]},
            "price": {"type": "number"},
            "currency": {"type": "string"},
            "paid": {"type": "number", "description": "Net charged so far."},
            "refunded": {"type": "number"},
            "balance_due": {"type": "number"},
            "cancel": {
                "type": "object",
                "description": "Whether cancelling is allowed now and the refund it would give.",
                "properties": {
                    "allowed": {"type": "boolean"}, "reason": {"type": ["string", "null"]},
                    "deadline": {"type": "string", "format": "date-time"},
                    "refund_amount": {"type": "number"}, "refund_percent": {"type": "number"},
                },
            },
            "reschedule": {
                "type": "object",
                "properties": {
                    "allowed": {"type": "boolean"}, "reason": {"type": ["string", "null"]},
                    "deadline": {"type": "string", "format": "date-time"},
                },
            },
            "manage_url": {"type": "string"},
        },
    },
    "CustomerBookingResponse": {"type": "object", "required": ["booking"],
                                "properties": {"booking": ref("CustomerBooking")}},
    "CustomerBookingsResponse": {
        "type": "object", "required": ["bookings"],
        "properties": {"bookings": {"type": "array", "items": ref("CustomerBooking")}},
    },
    "Deposit": {
        "type": "object",
        "required": ["type", "amount"],
        "properties": {
            "type": {"type": "string", "enum": ["none", "percent", "fixed"]},
            "value": {"type": "number"},
            "amount": {"type": "number"},
        },
    },
    "Service": {
        "type": "object",
        "required": ["id", "name", "duration_minutes", "price", "currency", "deposit"],
        "properties": {
            "id": {"type": "integer"},
            "name": {"type": "string"},
            "description": {"type": ["string", "null"]},
            "duration_minutes": {"type": "integer"},
            "price": {"type": "number"},
            "currency": {"type": "string", "description": "ISO 4217 code"},
            "deposit": ref("Deposit"),
            "requires_approval": {"type": "boolean"},
            "location": {"type": "string", "enum": ["business", "customer"],
                         "description": "customer: the job takes place at the customer's address, which the "
                         "booking must give."},
            "provider_ids": {"type": "array", "items": {"type": "integer"}},
        },
    },
    "Provider": {
        "type": "object",
        "required": ["id", "name"],
        "properties": {
            "id": {"type": "integer"},
            "name": {"type": "string"},
            "job_title": {"type": ["string", "null"]},
            "bio": {"type": ["string", "null"], "description": "Plain text."},
            "image_url": {"type": "string"},
            "service_ids": {"type": "array", "items": {"type": "integer"}},
        },
    },
    "Page": {
        "type": "object",
        "required": ["id", "slug", "name", "timezone", "currency"],
        "properties": {
            "id": {"type": "integer"},
            "slug": {"type": "string"},
            "name": {"type": "string"},
            "url": {"type": "string"},
            "timezone": {"type": "string", "description": "IANA time zone of the page."},
            "currency": {"type": "string"},
            "description": {"type": ["string", "null"]},
            "address": {"type": ["string", "null"]},
            "phone": {"type": ["string", "null"]},
            "email": {"type": ["string", "null"]},
            "allow_guest_booking": {"type": "boolean"},
            "show_providers": {"type": "boolean"},
            "min_notice_hours": {"type": "number"},
            "max_advance_days": {"type": "integer"},
            "last_bookable_date": {"type": "string", "format": "date"},
            "cancellation_policy": {"type": ["string", "null"], "description": "Plain text summary."},
        },
    },
    "PageResponse": {
        "type": "object",
        "required": ["page", "services", "providers"],
        "properties": {
            "page": ref("Page"),
            "services": {"type": "array", "items": ref("Service")},
            "providers": {
                "type": "array",
                "items": ref("Provider"),
                "description": "Empty when the page assigns providers itself.",
            },
        },
    },
    "Slot": {
        "type": "object",
        "required": ["start", "end", "provider_id"],
        "properties": {
            "start": {"type": "string", "format": "date-time", "description": "UTC, with Z."},
            "end": {"type": "string", "format": "date-time"},
            "provider_id": {"type": "integer"},
        },
    },
    "SlotsResponse": {
        "type": "object",
        "description": "format=slots (the default): one entry per start and provider.",
        "required": ["timezone", "slots"],
        "properties": {
            "format": {"type": "string", "enum": ["slots"]},
            "timezone": {"type": "string"},
            "slots": {
                "type": "array",
                "items": ref("Slot"),
                "description": "Sorted by start. At equal starts, the provider 'any available' assigns comes "
                "first.",
            },
            "open_dates": {
                "type": "array",
                "items": {"type": "string", "format": "date"},
                "description": "The local dates of the range with bookable time when nobody has booked it: a "
                "date here without slots is full (join the waitlist), a date not here is closed. Only in the "
                "answer of GET /pages/{slug}/slots.",
            },
        },
    },
    "SlotDay": {
        "type": "object",
        "additionalProperties": False,
        "required": ["date", "midnight", "starts"],
        "properties": {
            "date": {"type": "string", "format": "date", "description": "The local date, in the page's time zone."},
            "midnight": {"type": "string", "format": "date-time",
                         "description": "The instant the local date begins, UTC with Z."},
            "starts": {
                "type": "array",
                "items": {"type": "integer", "minimum": 0, "maximum": 1500},
                "description": "The free start times, sorted, each once: minutes elapsed since midnight, so a "
                "start is midnight + minutes x 60 s. That is the wall-clock time in minutes (540 is 9:00) on "
                "every day but one whose clocks change, where it is still the exact time elapsed.",
            },
        },
    },
    "SlotDaysResponse": {
        "type": "object",
        "description": "format=days: the free times each once, by local day. A slot ends duration_minutes after "
        "its start. Without provider_id (provider_id null here), a time is free when any provider is, and the "
        "booking (provider_id null) is given the least-loaded provider free then.",
        "required": ["format", "timezone", "provider_id", "duration_minutes", "days"],
        "properties": {
            "format": {"type": "string", "enum": ["days"]},
            "timezone": {"type": "string"},
            "provider_id": {"type": ["integer", "null"],
                            "description": "The provider asked for; null: any available."},
            "duration_minutes": {"type": "integer", "minimum": 1},
            "days": {"type": "array", "items": ref("SlotDay"),
                     "description": "The local dates with free times, sorted; a date not here has none."},
            "open_dates": {
                "type": "array",
                "items": {"type": "string", "format": "date"},
                "description": "As in SlotsResponse: a date here without free times is full, a date not here "
                "is closed. Only in the answer of GET /pages/{slug}/slots.",
            },
        },
    },
    "Booking": {
        "type": "object",
        "required": ["id", "reference", "state", "start", "end", "provider_id", "manage_url"],
        "properties": {
            "id": {"type": "integer"},
            "reference": {"type": "string"},
            "state": {
                "type": "string",
                "enum": [
                    "pending_payment", "pending", "confirmed", "checked_in", "done",
                    "cancelled", "rejected", "expired", "no_show",
                ],
            },
            "start": {"type": "string", "format": "date-time"},
            "end": {"type": "string", "format": "date-time"},
            "service_id": {"type": "integer"},
            "provider_id": {"type": "integer"},
            "manage_url": {"type": "string", "description": "The customer's page for this booking (access token)."},
            "confirmation_url": {"type": "string"},
            "ics_url": {"type": "string"},
            "payment_url": {"type": ["string", "null"], "description": "Where to pay the deposit, if one is due."},
        },
    },
    "BookingResponse": {"type": "object", "required": ["booking"], "properties": {"booking": ref("Booking")}},
    "WaitlistResponse": {
        "type": "object",
        "required": ["waitlist"],
        "properties": {
            "waitlist": {
                "type": "object",
                "required": ["id", "state"],
                "properties": {
                    "id": {"type": "integer"},
                    "reference": {"type": "string"},
                    "state": {"type": "string", "enum": ["waiting", "offered", "booked", "expired", "cancelled"]},
                },
            }
        },
    },
    "Error": {
        "type": "object",
        "required": ["error", "message"],
        "properties": {
            "error": {
                "type": "string",
                "description": "Stable code: validation, contract_mismatch, malformed_json, unsupported_media_type, "
                "payload_too_large, length_required, not_found, login_required, slot_unavailable, already_booked, "
                "rate_limited, method_not_allowed, unauthorized, invalid_code, idempotency_key_reused, policy_limit, "
                "invalid_state, internal_error.",
            },
            "message": {"type": "string", "description": "For people; may be translated."},
            "fields": {
                "type": "object",
                "additionalProperties": {"type": "string"},
                "description": "validation and contract_mismatch only: message per field (dotted path for nested "
                "fields). contract_mismatch names the fields and query parameters the contract does not know, "
                "and those whose JSON type is not the contract's.",
            },
            "contract_version": {"type": "string", "description": "contract_mismatch only: the server's contract "
                                 "version (info.version of openapi.json)."},
            "alternatives": {
                "type": "array",
                "items": ref("Slot"),
                "description": "slot_unavailable only: up to three nearest free slots.",
            },
            "retry_after": {"type": "integer", "description": "rate_limited only: seconds to wait."},
        },
    },
}

# Live status over Odoo's websocket (GET /me/live): the channel, and the notifications it carries
# Dependants (pets, children...): who a booking is for. A service for dependants names the kinds it takes
# and how many one booking may cover; a booking names the signed-in customer's own dependants.
MAX_DEPENDANTS = 10
SCHEMAS["BookingRequest"]["properties"]["dependant_ids"] = {
    "type": ["array", "null"], "maxItems": MAX_DEPENDANTS, "uniqueItems": True, "items": id_schema(),
    "description": "The customer's own dependants this one booking covers (services for a dependant; the "
    "duration adds up per dependant). Only a customer who proved who they are may name them; to book each "
    "separately, send one request per dependant.",
}
SCHEMAS["Service"]["properties"].update({
    "for_dependant": {"type": "boolean", "description": "Booked for a pet, a child... (dependant_ids)."},
    "dependant_kinds": {"type": "array", "items": {"type": "string", "enum": ["pet", "child", "other"]}},
    "max_dependants": {"type": "integer",
                       "description": "How many dependants one booking may cover (0: not for dependants)."},
})
SCHEMAS["Booking"]["properties"]["dependant_ids"] = {"type": "array", "items": {"type": "integer"}}

LIVE_SCHEMAS = {
    "LiveChannelResponse": {
        "type": "object",
        "required": ["channel", "websocket_url", "expires_at"],
        "properties": {
            "channel": {"type": "string", "description": "Subscribe to it on the websocket: only this token's "
                        "holder gets it; it stops working with the token (expiry, sign-out, new sign-in)."},
            "websocket_url": {"type": "string", "description": "Odoo's websocket (the bus)."},
            "expires_at": {"type": "string", "format": "date-time"},
        },
    },
    "LiveBookingEvent": {
        "type": "object",
        "description": "Payload of a `self_serve_booking/booking` notification: one of the customer's bookings "
        "changed. Fetch GET /me/bookings/{booking_id} for the rest.",
        "required": ["event", "booking_id", "reference", "state", "start", "end", "provider_id"],
        "properties": {
            "event": {"type": "string", "enum": ["approved", "declined", "moved", "cancelled", "checked_in",
                                                 "completed", "no_show", "expired", "confirmed", "pending",
                                                 "pending_payment", "paid", "refunded"]},
            "booking_id": {"type": "integer"},
            "reference": {"type": "string"},
            "state": {"type": "string"},
            "start": {"type": "string", "format": "date-time"},
            "end": {"type": "string", "format": "date-time"},
            "provider_id": {"type": "integer"},
            "kind": {"type": "string", "description": "paid and refunded only: deposit, balance, tip, ..."},
            "amount": {"type": "number", "description": "paid and refunded only."},
            "currency": {"type": "string", "description": "paid and refunded only."},
        },
    },
    "LiveMessageEvent": {
        "type": "object",
        "description": "Payload of a `self_serve_booking/message` notification: a new message on a booking.",
        "required": ["booking_id", "reference", "message"],
        "properties": {
            "booking_id": {"type": "integer"},
            "reference": {"type": "string"},
            "message": {
                "type": "object",
                "required": ["id", "date", "body"],
                "properties": {"id": {"type": "integer"}, "author": {"type": ["string", "null"]},
                               "date": {"type": "string", "format": "date-time"},
                               "body": {"type": "string", "description": "Plain text."}},
            },
        },
    },
}
SCHEMAS.update(LIVE_SCHEMAS)

# The merchant API (controllers/merchant_api.py): staff act on appointments with an Odoo API key.
APPOINTMENT_STATES = ["pending_payment", "pending", "confirmed", "checked_in", "done", "cancelled", "rejected",
                      "expired", "no_show"]
# The allow-list: what an integration may do to an appointment, each the backend's own action.
MERCHANT_ACTIONS = ["approve", "decline", "cancel", "check_in", "complete", "no_show", "move"]
MERCHANT_SCHEMAS = {
    "MerchantActionRequest": {
        "type": "object",
        "additionalProperties": False,
        "properties": {
            "reason": {"type": ["string", "null"], "maxLength": 500,
                       "description": "decline and cancel: told to the customer and logged."},
            "start": {"type": ["string", "null"], "format": "date-time", "maxLength": 40,
                      "description": "move only (required): the new start."},
            "provider_id": id_schema(nullable=True, description="move only: another provider (default: keep)."),
            "charge_card": {"type": ["boolean", "null"],
                            "description": "complete only: charge the balance on the saved card (default true, "
                            "as the backend's Complete & Charge Card); false leaves it due at the counter."},
        },
    },
    "MerchantAppointment": {
        "type": "object",
        "required": ["id", "reference", "state", "start", "end", "page", "service", "provider", "customer",
                     "actions"],
        "properties": {
            "id": {"type": "integer"},
            "reference": {"type": "string"},
            "state": {"type": "string", "enum": APPOINTMENT_STATES},
            "start": {"type": "string", "format": "date-time"},
            "end": {"type": "string", "format": "date-time"},
            "timezone": {"type": "string"},
            "source": {"type": "string"},
            "page": {"type": "object", "properties": {"id": {"type": "integer"}, "slug": {"type": "string"},
                                                      "name": {"type": "string"}}},
            "service": {"type": "object", "properties": {"id": {"type": "integer"}, "name": {"type": "string"}}},
            "provider": {"type": "object", "properties": {"id": {"type": "integer"}, "name": {"type": "string"}}},
            "customer": {
                "type": "object",
                "properties": {"id": {"type": "integer"}, "name": {"type": "string"},
                               "email": {"type": ["string", "null"]}, "phone": {"type": ["string", "null"]}},
            },
            "note": {"type": ["string", "null"]},
            "cancel_reason": {"type": ["string", "null"]},
            "price": {"type": "number"},
            "currency": {"type": "string"},
            "paid": {"type": "number"},
            "balance_due": {"type": "number"},
            "actions": {"type": "array", "items": {"type": "string", "enum": MERCHANT_ACTIONS},
                        "description": "The actions the appointment's state allows now."},
        },
    },
    "MerchantAppointmentResponse": {"type": "object", "required": ["appointment"],
                                    "properties": {"appointment": ref("MerchantAppointment")}},
    "MerchantAppointmentsResponse": {
        "type": "object",
        "required": ["appointments"],
        "properties": {"appointments": {"type": "array", "items": ref("MerchantAppointment")},
                       "count": {"type": "integer", "description": "How many match, all pages together."}},
    },
}
SCHEMAS.update(MERCHANT_SCHEMAS)

QUERY_PARAMETERS = {
    "slots": {
        "service_id": id_schema(),
        "provider_id": id_schema(),
        "date_from": {"type": "string", "format": "date"},
        "date_to": {"type": "string", "format": "date"},
    },
    "my_bookings": {
        "filter": {"type": "string", "enum": ["upcoming", "past", "cancelled"]},
    },
    "my_slots": {
        "date_from": {"type": "string", "format": "date"},
        "date_to": {"type": "string", "format": "date"},
        "any_provider": {"type": "string", "enum": ["0", "1", "true", "false"]},
    },
}
QUERY_PARAMETERS["merchant_appointments"] = {
    "date": {"type": "string", "format": "date",
             "description": "A day, in the time zone of each appointment's page."},
    "state": {"type": "string", "enum": APPOINTMENT_STATES},
    "provider_id": id_schema(),
    "limit": {"type": "integer", "minimum": 1, "maximum": 200, "description": "Default 50."},
    "offset": {"type": "integer", "minimum": 0, "maximum": MAX_ID},
}
SLOTS_FORMAT = {
    "type": "string", "enum": ["slots", "days"],
    "description": "slots (default, as in 1.0): one entry per start and provider (SlotsResponse). days: each "
    "free time once, as minutes by local day (SlotDaysResponse), some 50 times smaller for a month of 'any "
    "available'; what clients showing times to people should ask for."}
QUERY_PARAMETERS["slots"]["format"] = SLOTS_FORMAT
QUERY_PARAMETERS["my_slots"]["format"] = SLOTS_FORMAT
QUERY_PARAMETERS["slots"]["dependant_count"] = {
    "type": "integer", "minimum": 1, "maximum": MAX_DEPENDANTS,
    "description": "How many dependants the booking covers: the duration adds up (default 1)."}
REQUIRED_QUERY_PARAMETERS = {"slots": ["service_id", "date_from"], "my_slots": ["date_from"]}


# ---------------------------------------------------------------------------
# Reviews (GET /pages/{slug}/reviews)
# ---------------------------------------------------------------------------

REVIEW_SCHEMAS = {
    "Review": {
        "type": "object",
        "description": "A published review of a completed booking.",
        "required": ["id", "rating", "comment", "author", "date", "service_id", "provider_id", "reply"],
        "properties": {
            "id": {"type": "integer"},
            "rating": {"type": "integer", "minimum": 1, "maximum": 5},
            "comment": {"type": "string"},
            "author": {"type": "string", "description": "First name and initial."},
            "date": {"type": "string", "format": "date"},
            "service_id": {"type": "integer"},
            "provider_id": {"type": ["integer", "null"]},
            "reply": {"type": ["string", "null"], "description": "The merchant's public answer."},
        },
    },
    "ReviewSummary": {
        "type": "object",
        "required": ["average", "count"],
        "properties": {
            "average": {"type": ["number", "null"], "description": "Mean stars (1-5, one decimal); null: none."},
            "count": {"type": "integer"},
        },
    },
    "ReviewsResponse": {
        "type": "object",
        "required": ["summary", "reviews"],
        "properties": {
            "summary": ref("ReviewSummary"),
            "services": {
                "type": "object", "description": "Per service id (as a string): its published reviews' summary.",
                "additionalProperties": ref("ReviewSummary"),
            },
            "providers": {
                "type": "object", "description": "Per provider id (as a string), when the page shows providers.",
                "additionalProperties": ref("ReviewSummary"),
            },
            "reviews": {"type": "array", "items": ref("Review"), "description": "Newest first."},
        },
    },
}
SCHEMAS.update(REVIEW_SCHEMAS)
QUERY_PARAMETERS["reviews"] = {
    "service_id": id_schema(),
    "provider_id": id_schema(),
    "limit": {"type": "integer", "minimum": 1, "maximum": 50, "description": "Default 10."},
}

# ---------------------------------------------------------------------------
# Recurring bookings (POST /pages/{slug}/series[/plan], POST /me/bookings/{id}/cancel-following)
# ---------------------------------------------------------------------------

SERIES_SCHEMAS = {
    "SeriesRequest": {
        "type": "object",
        "description": "The same service at the same local time every `interval_weeks` weeks, `count` times or "
        "until `until` (one of the two). Only for services that allow series.",
        "additionalProperties": False,
        "required": ["service_id", "start", "interval_weeks"],
        "properties": {
            "service_id": id_schema(),
            "provider_id": id_schema(nullable=True, description="null: any available, occurrence by occurrence."),
            "start": {"type": "string", "format": "date-time", "maxLength": 40,
                      "description": "The first occurrence: a start returned by the slots route."},
            "interval_weeks": {"type": "integer", "minimum": 1, "maximum": 12},
            "count": {"type": ["integer", "null"], "minimum": 2, "maximum": 52},
            "until": {"type": ["string", "null"], "format": "date",
                      "description": "The last local date an occurrence may fall on."},
            "replacements": {
                "type": "array", "maxItems": 52,
                "description": "Another start for occurrences the plan found taken (e.g. one of its alternatives).",
                "items": {
                    "type": "object", "additionalProperties": False, "required": ["index", "start"],
                    "properties": {"index": {"type": "integer", "minimum": 0, "maximum": 51},
                                   "start": {"type": "string", "format": "date-time", "maxLength": 40}},
                },
            },
            "customer": ref("Customer"),
            "note": {"type": ["string", "null"], "maxLength": 2000},
        },
    },
    "SeriesOccurrence": {
        "type": "object",
        "required": ["index", "start", "end", "available", "provider_id", "reason", "alternatives"],
        "properties": {
            "index": {"type": "integer"},
            "start": {"type": "string", "format": "date-time"},
            "end": {"type": "string", "format": "date-time"},
            "available": {"type": "boolean"},
            "provider_id": {"type": ["integer", "null"]},
            "reason": {"type": "string", "description": "Why it cannot be had (empty when available)."},
            "alternatives": {"type": "array", "items": ref("Slot"),
                             "description": "The nearest free slots, when not available."},
        },
    },
    "SeriesPlanResponse": {
        "type": "object",
        "required": ["occurrences"],
        "properties": {"occurrences": {"type": "array", "items": ref("SeriesOccurrence")}},
    },
    "SeriesResponse": {
        "type": "object",
        "required": ["series"],
        "properties": {
            "series": {
                "type": "object", "required": ["id", "bookings"],
                "properties": {
                    "id": {"type": "integer"},
                    "bookings": {"type": "array", "items": ref("Booking")},
                    "payment": {
                        "type": ["object", "null"],
                        "description": "The deposits of the series due now, paid all at once on the series' page "
                        "(`url`); null when nothing is due. The bookings named are held (`pending_payment`), not "
                        "booked, until their deposit is paid; unpaid by `due_by`, they are released (`expired`) "
                        "and the customer is told. Each booking's own `payment_url` pays that booking alone.",
                        "required": ["amount", "currency", "due_by", "booking_ids", "url"],
                        "properties": {
                            "amount": {"type": "number", "description": "The sum of the deposits due."},
                            "currency": {"type": "string"},
                            "due_by": {"type": "string", "format": "date-time",
                                       "description": "When the first of these holds expires."},
                            "booking_ids": {
                                "type": "array", "items": {"type": "integer"},
                                "description": "The bookings whose deposit this payment pays, each recorded on its "
                                "own booking (refunds and invoices stay per booking)."},
                            "url": {"type": "string", "description": "The series' page with its signed link: it "
                                    "grants paying these deposits and seeing the series' visits, nothing else of the "
                                    "customer."},
                        },
                    },
                },
            },
        },
    },
    "SeriesCancelRequest": {
        "type": "object",
        "additionalProperties": False,
        "properties": {"reason": {"type": ["string", "null"], "maxLength": 500}},
    },
    "SeriesCancelResponse": {
        "type": "object",
        "required": ["cancelled"],
        "properties": {"cancelled": {"type": "array", "items": {"type": "integer"},
                                     "description": "The ids of the bookings cancelled, each under the policy."}},
    },
}
SCHEMAS.update(SERIES_SCHEMAS)
