"""The public booking API's contract: JSON Schemas, their validator, the OpenAPI document.

Pure Python, no Odoo import. The controllers validate every request against
these schemas, and ``openapi.json`` is generated from the very same ones, so
the document and the behaviour cannot drift apart.

The validator implements the part of JSON Schema 2020-12 the contract uses:
``type`` (with ``"null"`` in a list for optional values), ``properties``,
``required``, ``additionalProperties: false``, ``minLength``/``maxLength``,
``minimum``/``maximum``, ``enum``, ``pattern``, ``format`` (``date``,
``date-time`` with an explicit offset, ``email``, ``time``) and ``$ref`` to
the components. Errors come back as ``{"field.path": "message"}``.
"""

import json
import math
import re
from datetime import UTC, date, datetime, time

API_PREFIX = "/booking/api/v1"
API_VERSION = "1.0.0"
MAX_BODY_BYTES = 16 * 1024

MAX_DEPTH = 8  # objects and arrays nested in a body: the deepest schema needs 3
MAX_ID = 2**31 - 1  # PostgreSQL's integer: a larger id is no record, never a database error
# The converter of record ids in routes (ir.http): ASCII digits up to MAX_ID, else no route matches (404).
URL_ID = "booking_id"
# Dates and times outside this range are refused: nobody books there, and
# their arithmetic (time zones, slot grids) would overflow Python's datetime.
MIN_YEAR, MAX_YEAR = 1970, 2100

EMAIL_RE = re.compile(r"^[^@\s<>(),;:\"\[\]]+@[^@\s<>(),;:\"\[\]]+\.[^@\s<>(),;:\"\[\]]{2,}$")
# [0-9], never \d: \d matches every script's digits ("٣", "३"), which int() and
# the date parsers then read differently or refuse.
TIME_RE = re.compile(r"^([01][0-9]|2[0-3]):[0-5][0-9]$|^24:00$")
DATE_RE = re.compile(r"^[0-9]{4}-[0-9]{2}-[0-9]{2}$")
# RFC 3339 only (what JSON Schema's date-time means): ISO 8601's week and
# ordinal dates, basic format and missing seconds are refused.
DATETIME_RE = re.compile(
    r"^[0-9]{4}-[0-9]{2}-[0-9]{2}[Tt][0-9]{2}:[0-9]{2}:[0-9]{2}(\.[0-9]{1,6})?([Zz]|[+-][0-9]{2}:[0-9]{2})$"
)
# NUL, other C0 and C1 control characters and lone surrogates: no text of a
# customer holds them, PostgreSQL refuses NUL and UTF-8 cannot encode surrogates.
NAIVE_DATETIME_RE = re.compile(r"^[0-9]{4}-[0-9]{2}-[0-9]{2}[Tt ][0-9]{2}:[0-9]{2}(:[0-9]{2}(\.[0-9]+)?)?$")
CONTROL_RE = re.compile(r"[\x00-\x08\x0b\x0c\x0e-\x1f\x7f-\x9f\ud800-\udfff]")
SINGLE_LINE = "^[^\\r\\n\\t]*$"
IDEMPOTENCY_KEY_RE = re.compile(r"[\x21-\x7e]{16,255}")  # fullmatch: a UUID is 36

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
        "required": ["timezone", "slots"],
        "properties": {
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
                "description": "Stable code: validation, malformed_json, unsupported_media_type, payload_too_large, "
                "length_required, not_found, login_required, slot_unavailable, already_booked, rate_limited, "
                "method_not_allowed, unauthorized, invalid_code, idempotency_key_reused, policy_limit, "
                "invalid_state, internal_error.",
            },
            "message": {"type": "string", "description": "For people; may be translated."},
            "fields": {
                "type": "object",
                "additionalProperties": {"type": "string"},
                "description": "validation only: message per field (dotted path for nested fields).",
            },
            "alternatives": {
                "type": "array",
                "items": ref("Slot"),
                "description": "slot_unavailable only: up to three nearest free slots.",
            },
            "retry_after": {"type": "integer", "description": "rate_limited only: seconds to wait."},
        },
    },
}

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
REQUIRED_QUERY_PARAMETERS = {"slots": ["service_id", "date_from"], "my_slots": ["date_from"]}

# ---------------------------------------------------------------------------
# Validation
# ---------------------------------------------------------------------------

PY_TYPES = {
    "string": str,
    "integer": int,
    "number": (int, float),
    "boolean": bool,
    "object": dict,
    "array": list,
    "null": type(None),
}


def resolve(schema):
    while "$ref" in schema:
        schema = SCHEMAS[schema["$ref"][len(REF):]]
    return schema


def _type_ok(value, expected):
    types = expected if isinstance(expected, list) else [expected]
    for name in types:
        if name in ("integer", "number") and isinstance(value, bool):
            continue
        if isinstance(value, PY_TYPES[name]):
            return True
    return False


def parse_datetime(value):
    """An aware datetime from an RFC 3339 date-time, or ValueError.

    Naive values (``ValueError("naive")``), other ISO 8601 forms and instants
    outside the years 1970-2100 (in UTC) are refused.
    """
    if not DATETIME_RE.fullmatch(value):
        if NAIVE_DATETIME_RE.fullmatch(value):
            raise ValueError("naive")
        raise ValueError("format")
    parsed = datetime.fromisoformat(value.upper())
    if not MIN_YEAR <= parsed.year <= MAX_YEAR or not MIN_YEAR <= parsed.astimezone(UTC).year <= MAX_YEAR:
        raise ValueError("range")
    return parsed


def parse_date(value):
    """A date from ``YYYY-MM-DD`` in the years 1970-2100, or ValueError."""
    if not DATE_RE.fullmatch(value):
        raise ValueError("format")
    parsed = date.fromisoformat(value)
    if not MIN_YEAR <= parsed.year <= MAX_YEAR:
        raise ValueError("range")
    return parsed


def _format_error(value, fmt):
    if fmt == "date-time":
        try:
            parse_datetime(value)
        except ValueError as error:
            if str(error) == "naive":
                return "must include a time zone: Z or an offset like +02:00"
            if str(error) == "range":
                return f"must lie between the years {MIN_YEAR} and {MAX_YEAR}"
            return "must be an RFC 3339 (ISO 8601) date and time, e.g. 2025-06-02T09:00:00Z"
    elif fmt == "date":
        try:
            parse_date(value)
        except ValueError as error:
            if str(error) == "range":
                return f"must lie between the years {MIN_YEAR} and {MAX_YEAR}"
            return "must be a date as YYYY-MM-DD"
    elif fmt == "time" and not TIME_RE.fullmatch(value):
        return "must be a time as HH:MM"
    elif fmt == "email" and not EMAIL_RE.fullmatch(value):
        return "is not a valid e-mail address"
    return None


def _reject_constant(name):
    raise ValueError(f"{name} is not a JSON number")


def _depth(value):
    """How deeply objects and arrays nest in ``value`` (iteratively: no recursion to exhaust).

    Raises ``ValueError`` for a key holding control characters: keys are
    named back in error messages.
    """
    deepest, stack = 0, [(value, 1)]
    while stack:
        item, level = stack.pop()
        if isinstance(item, dict):
            if any(CONTROL_RE.search(key) for key in item):
                raise ValueError("control characters in a key")
            children = item.values()
        elif isinstance(item, list):
            children = item
        else:
            continue
        deepest = max(deepest, level)
        if deepest > MAX_DEPTH:
            break
        stack.extend((child, level + 1) for child in children)
    return deepest


def loads(data):
    """Parse a request body: ``ValueError`` for anything but UTF-8 JSON nested at most ``MAX_DEPTH`` deep.

    ``NaN`` and ``Infinity`` (which Python's parser accepts) are refused, and
    a body nested thousands of levels deep is refused before Python's
    recursion limit is reached.
    """
    if isinstance(data, bytes):
        data = data.decode("utf-8")  # UnicodeDecodeError is a ValueError
    # an upper bound of the nesting, counted before parsing: brackets inside
    # strings count too, which only makes the bound stricter for odd bodies
    if data.count("[") + data.count("{") > 2 * MAX_DEPTH and _max_bracket_depth(data) > MAX_DEPTH:
        raise ValueError("too deep")
    try:
        value = json.loads(data, parse_constant=_reject_constant)
    except RecursionError:
        raise ValueError("too deep") from None
    if _depth(value) > MAX_DEPTH:
        raise ValueError("too deep")
    return value


def _max_bracket_depth(text):
    """The deepest nesting of brackets outside JSON strings."""
    depth = deepest = 0
    in_string = escaped = False
    for char in text:
        if in_string:
            if escaped:
                escaped = False
            elif char == "\\":
                escaped = True
            elif char == '"':
                in_string = False
        elif char == '"':
            in_string = True
        elif char in "[{":
            depth += 1
            deepest = max(deepest, depth)
        elif char in "]}":
            depth -= 1
    return deepest


def pattern_matches(pattern, value):
    """JSON Schema's ``pattern``, with ``^...$`` meaning the whole string (Python's ``$`` also
    matches before a final line break, which would let "123456\\n" pass for six digits)."""
    if pattern.startswith("^") and pattern.endswith("$") and not pattern.endswith("\\$"):
        return re.fullmatch(pattern[1:-1], value) is not None
    return re.search(pattern, value) is not None


def text_error(value):
    """Why a string from outside cannot be stored (control characters), or None."""
    if CONTROL_RE.search(value):
        return "must not contain control characters"
    return None


def validate(value, schema, path=""):
    """Validate ``value`` against ``schema``; return ``{path: message}`` (empty when valid)."""
    schema = resolve(schema)
    errors = {}
    label = path or "body"
    expected = schema.get("type")
    if expected and not _type_ok(value, expected):
        names = expected if isinstance(expected, list) else [expected]
        wanted = " or ".join(
            "null" if n == "null" else f"an {n}" if n[0] in "aeiou" else f"a {n}" for n in names
        )
        return {label: f"must be {wanted}"}
    if value is None:
        return errors
    if "enum" in schema and value not in schema["enum"]:
        return {label: "must be one of " + ", ".join(map(str, schema["enum"]))}
    if isinstance(value, str):
        message = text_error(value)
        if message:
            return {label: message}
        if "minLength" in schema and len(value.strip()) < schema["minLength"]:
            return {label: "is required" if not value.strip() else f"must be at least {schema['minLength']} characters"}
        if "maxLength" in schema and len(value) > schema["maxLength"]:
            return {label: f"must be at most {schema['maxLength']} characters"}
        if "pattern" in schema and not pattern_matches(schema["pattern"], value):
            return {label: "must fit on one line" if schema["pattern"] == SINGLE_LINE else "has an invalid format"}
        if "format" in schema:
            message = _format_error(value, schema["format"])
            if message:
                return {label: message}
    if isinstance(value, int | float) and not isinstance(value, bool):
        if isinstance(value, float) and not math.isfinite(value):
            return {label: "must be a finite number"}
        if "minimum" in schema and value < schema["minimum"]:
            return {label: f"must be at least {schema['minimum']}"}
        if "maximum" in schema and value > schema["maximum"]:
            return {label: f"must be at most {schema['maximum']}"}
    if isinstance(value, dict):
        properties = schema.get("properties", {})
        for name in schema.get("required", []):
            if name not in value or value[name] is None:
                errors[f"{path}.{name}" if path else name] = "is required"
        if schema.get("additionalProperties") is False:
            for name in value:
                if name not in properties:
                    errors[f"{path}.{name}" if path else name] = "is not an accepted field"
        for name, sub in properties.items():
            key = f"{path}.{name}" if path else name
            if name in value and key not in errors:
                errors.update(validate(value[name], sub, key))
    if isinstance(value, list) and "items" in schema:
        for index, item in enumerate(value):
            errors.update(validate(item, schema["items"], f"{path}[{index}]"))
    return errors


def parse_query(route, args):
    """Typed query parameters of ``route`` from strings, and errors per parameter."""
    params = QUERY_PARAMETERS[route]
    values, errors = {}, {}
    for name in REQUIRED_QUERY_PARAMETERS.get(route, []):
        if not args.get(name):
            errors[name] = "is required"
    for name in args:
        if name not in params:
            errors[name] = "is not an accepted parameter"
    for name, schema in params.items():
        raw = args.get(name)
        if raw in (None, "") or name in errors:
            continue
        value = raw
        if schema["type"] == "integer":
            if not re.fullmatch(r"[0-9]{1,10}", raw):
                errors[name] = "must be an integer"
                continue
            value = int(raw)
        found = validate(value, schema, name)
        if found:
            errors.update(found)
            continue
        if schema.get("format") == "date":
            value = parse_date(value)
        values[name] = value
    return values, errors


def parse_time(value):
    """``HH:MM`` (``24:00`` allowed) as float hours."""
    if value == "24:00":
        return 24.0
    parsed = time.fromisoformat(value)
    return parsed.hour + parsed.minute / 60.0


# ---------------------------------------------------------------------------
# The OpenAPI document
# ---------------------------------------------------------------------------


def _error_response(description, example_code):
    return {
        "description": description,
        "content": {"application/json": {"schema": ref("Error"), "example": {"error": example_code, "message": "..."}}},
    }


def _json(name, description):
    return {"description": description, "content": {"application/json": {"schema": ref(name)}}}


def _query_parameters(route):
    return [
        {"name": name, "in": "query", "required": name in REQUIRED_QUERY_PARAMETERS.get(route, []),
         "schema": dict(schema)}
        for name, schema in QUERY_PARAMETERS[route].items()
    ]


BOOKING_ID_PARAMETER = {"name": "booking_id", "in": "path", "required": True, "schema": {"type": "integer"}}
UNAUTHORIZED = {
    "description": "Missing, malformed, forged, expired or revoked bearer token.",
    "content": {"application/json": {"schema": {"$ref": "#/components/schemas/Error"},
                                     "example": {"error": "unauthorized", "message": "..."}}},
}

IDEMPOTENCY_KEY_PARAMETER = {
    "name": "Idempotency-Key", "in": "header", "required": False,
    "schema": {"type": "string", "minLength": 16, "maxLength": 255, "pattern": "^[\\x21-\\x7e]+$"},
    "description": "A key of the client's choosing (a UUID) to send the same request again safely: for 24 hours "
    "the same key and body get the first answer back (with the header Idempotent-Replayed: true) and nothing "
    "is written twice; the same key with another body is a 422. Answers to requests that did not run (invalid "
    "body, rate limit, authentication) are not kept.",
}
OPTIONAL_BEARER = [{}, {"customerSession": []}]

SLUG_PARAMETER = {
    "name": "slug", "in": "path", "required": True, "schema": {"type": "string", "pattern": "^[a-z0-9-]+$"},
    "description": "The page address, as in /p/<slug>.",
}


def build_document(server_url=""):
    """The OpenAPI 3.1 document of the public API, from the schemas above."""
    write_errors = {
        "400": _error_response("Invalid input: see `fields`, or malformed JSON.", "validation"),
        "403": _error_response("This page takes bookings from signed-in customers only.", "login_required"),
        "404": _error_response("Unknown or unpublished page.", "not_found"),
        "411": _error_response("No Content-Length header.", "length_required"),
        "413": _error_response("Body larger than 16 KB.", "payload_too_large"),
        "415": _error_response("The body must be application/json.", "unsupported_media_type"),
        "429": {
            **_error_response("Too many requests from this address.", "rate_limited"),
            "headers": {"Retry-After": {"schema": {"type": "integer"}, "description": "Seconds to wait."}},
        },
    }
    customer_writes = {
        **write_errors,
        "401": _error_response("A bearer token was sent that does not hold (or is another merchant's).",
                               "unauthorized"),
        "422": _error_response("This Idempotency-Key was used with another body.", "idempotency_key_reused"),
    }
    slots_parameters = [SLUG_PARAMETER, *_query_parameters("slots")]
    bearer = [{"customerSession": []}]
    return {
        "openapi": "3.1.0",
        "info": {
            "title": "Self-Serve Booking public API",
            "version": API_VERSION,
            "description": "Browse a merchant's services, read live availability, book and join the waitlist. "
            "JSON in, JSON out; errors carry a stable `error` code. Times are UTC with Z; date-times are RFC 3339 "
            "with an offset, dates YYYY-MM-DD, both within the years 1970-2100. Strings never hold control "
            "characters (tab and line breaks only in free text); bodies nest at most 8 levels deep.",
        },
        "servers": [{"url": f"{server_url}{API_PREFIX}"}],
        "paths": {
            "/openapi.json": {
                "get": {
                    "operationId": "getOpenApi",
                    "summary": "This document",
                    "responses": {"200": {"description": "OpenAPI 3.1", "content": {"application/json": {}}}},
                }
            },
            "/pages/{slug}": {
                "get": {
                    "operationId": "getPage",
                    "summary": "A booking page with its services and providers",
                    "parameters": [SLUG_PARAMETER],
                    "responses": {
                        "200": _json("PageResponse", "The page"),
                        "404": _error_response("Unknown or unpublished page.", "not_found"),
                    },
                }
            },
            "/pages/{slug}/slots": {
                "get": {
                    "operationId": "getSlots",
                    "summary": "Bookable slots of a service between two local dates",
                    "description": "Dates are in the page's time zone, range at most 62 days, ending before the "
                    "page's horizon. Without provider_id, every provider is listed.",
                    "parameters": slots_parameters,
                    "responses": {
                        "200": _json("SlotsResponse", "The slots"),
                        "400": _error_response("Bad ids or dates, or a range beyond the horizon.", "validation"),
                        "404": _error_response("Unknown or unpublished page.", "not_found"),
                    },
                }
            },
            "/pages/{slug}/bookings": {
                "post": {
                    "operationId": "createBooking",
                    "summary": "Book a slot",
                    "description": "For a signed-in customer (Odoo session) or a bearer token's customer the "
                    "booking is theirs and `customer` is ignored. Otherwise the details in `customer` make a "
                    "contact of their own: never an existing customer's, whose e-mail or phone they may repeat.",
                    "security": OPTIONAL_BEARER,
                    "parameters": [SLUG_PARAMETER, IDEMPOTENCY_KEY_PARAMETER],
                    "requestBody": {
                        "required": True,
                        "content": {"application/json": {"schema": ref("BookingRequest")}},
                    },
                    "responses": {
                        "201": _json("BookingResponse", "Booked (state pending_payment, pending or confirmed)"),
                        **customer_writes,
                        "409": _error_response("The slot is taken or no longer bookable (`slot_unavailable`, see "
                                               "`alternatives`), or the customer already holds a booking at that "
                                               "time on this page (`already_booked`).", "slot_unavailable"),
                    },
                }
            },
            "/pages/{slug}/waitlist": {
                "post": {
                    "operationId": "joinWaitlist",
                    "summary": "Join the waitlist for a day",
                    "security": OPTIONAL_BEARER,
                    "parameters": [SLUG_PARAMETER, IDEMPOTENCY_KEY_PARAMETER],
                    "requestBody": {
                        "required": True,
                        "content": {"application/json": {"schema": ref("WaitlistRequest")}},
                    },
                    "responses": {"201": _json("WaitlistResponse", "On the waitlist"), **customer_writes},
                }
            },
            "/pages/{slug}/session": {
                "post": {
                    "operationId": "requestCode",
                    "summary": "Send a one-time code to a customer of this page",
                    "description": "By e-mail, or by SMS to the phone. The answer is the same whether or not "
                    "the address is known.",
                    "parameters": [SLUG_PARAMETER],
                    "requestBody": {"required": True,
                                    "content": {"application/json": {"schema": ref("SessionRequest")}}},
                    "responses": {"202": _json("CodeSentResponse", "Code sent (if the address is known)"),
                                  **write_errors},
                }
            },
            "/pages/{slug}/session/verify": {
                "post": {
                    "operationId": "verifyCode",
                    "summary": "Exchange the code for a bearer token (valid one hour)",
                    "parameters": [SLUG_PARAMETER],
                    "requestBody": {"required": True,
                                    "content": {"application/json": {"schema": ref("SessionVerifyRequest")}}},
                    "responses": {
                        "200": _json("SessionResponse", "Signed in"),
                        **write_errors,
                        "400": _error_response("Wrong or expired code, or invalid input.", "invalid_code"),
                    },
                }
            },
            "/me/session": {
                "delete": {
                    "operationId": "signOut",
                    "summary": "Revoke the current token",
                    "security": bearer,
                    "responses": {"204": {"description": "Revoked"}, "401": UNAUTHORIZED},
                }
            },
            "/me/bookings": {
                "get": {
                    "operationId": "listMyBookings",
                    "summary": "The customer's bookings with this merchant",
                    "security": bearer,
                    "parameters": _query_parameters("my_bookings"),
                    "responses": {"200": _json("CustomerBookingsResponse", "The bookings"), "401": UNAUTHORIZED,
                                  "400": _error_response("Bad filter.", "validation")},
                }
            },
            "/me/bookings/{booking_id}": {
                "get": {
                    "operationId": "getMyBooking",
                    "summary": "One booking, with what can be done with it now",
                    "security": bearer,
                    "parameters": [BOOKING_ID_PARAMETER],
                    "responses": {"200": _json("CustomerBookingResponse", "The booking"), "401": UNAUTHORIZED,
                                  "404": _error_response("Not this customer's booking.", "not_found")},
                },
                "patch": {
                    "operationId": "changeMyBooking",
                    "summary": "Cancel (refund by policy) or reschedule, as in the portal",
                    "security": bearer,
                    "parameters": [BOOKING_ID_PARAMETER],
                    "requestBody": {"required": True,
                                    "content": {"application/json": {"schema": ref("BookingChange")}}},
                    "responses": {
                        "200": _json("CustomerBookingResponse", "Changed"),
                        "400": _error_response("Invalid input.", "validation"),
                        "401": UNAUTHORIZED,
                        "404": _error_response("Not this customer's booking.", "not_found"),
                        "409": _error_response("Refused by the policy or the state, or the new slot is taken.",
                                               "policy_limit"),
                    },
                },
            },
            "/me/bookings/{booking_id}/slots": {
                "get": {
                    "operationId": "getRescheduleSlots",
                    "summary": "Free slots to move this booking to (its own time counts as free)",
                    "security": bearer,
                    "parameters": [BOOKING_ID_PARAMETER, *_query_parameters("my_slots")],
                    "responses": {"200": _json("SlotsResponse", "The slots"), "401": UNAUTHORIZED,
                                  "404": _error_response("Not this customer's booking.", "not_found")},
                }
            },
        },
        "components": {
            "schemas": SCHEMAS,
            "securitySchemes": {
                "customerSession": {
                    "type": "http", "scheme": "bearer",
                    "description": "Token from POST /pages/{slug}/session/verify.",
                },
            },
        },
    }
