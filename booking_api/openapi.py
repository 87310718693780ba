"""The OpenAPI 3.1 document of the public API, built from the contract's schemas (``schemas.py``)."""

from .schemas import API_PREFIX
from .schemas import API_VERSION
from .schemas import MERCHANT_ACTIONS
from .schemas import QUERY_PARAMETERS
from .schemas import REQUIRED_QUERY_PARAMETERS
from .schemas import SCHEMAS
from .schemas import ref


def _error_response(description, example_code):
    return {
        "description": description,
        "content": {"application/json": {"schema": ref("Error"), "example": {"error": example_code, "message": "..."}}},
    }


def _json(name, description):
    return {"description": description, "content": {"application/json": {"schema": ref(name)}}}


SLOTS_ENCODING = (
    " Answers are gzip-compressed (Content-Encoding: gzip, Vary: Accept-Encoding) for a client whose "
    "Accept-Encoding takes gzip, as browsers' and most HTTP libraries' do."
)


def _slots_response():
    """The 200 of the slots routes: the answer of the format asked for (``format``, default ``slots``)."""
    return {
        "description": "The free times, in the format asked for. gzip-compressed when the client accepts it.",
        "headers": {"Vary": {"schema": {"type": "string"}, "description": "Accept-Encoding"}},
        "content": {"application/json": {"schema": {"oneOf": [ref("SlotsResponse"), ref("SlotDaysResponse")]}}},
    }


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


MERCHANT_TAG = "merchant"
MERCHANT_SECURITY = [{"merchantApiKey": []}]
APPOINTMENT_ID_PARAMETER = {"name": "appointment_id", "in": "path", "required": True,
                            "schema": {"type": "integer", "minimum": 1}}


def _merchant_paths():
    """The merchant API: staff integrations with an Odoo API key (controllers/merchant_api.py)."""
    auth_errors = {
        "401": _error_response("Missing, invalid, expired or revoked API key.", "unauthorized"),
        "403": _error_response("The key's user is not a booking user, or may not change this appointment.",
                               "forbidden"),
    }
    not_found = _error_response("No such appointment, or one of a company the key's user is not in.", "not_found")
    return {
        "/merchant/appointments": {
            "get": {
                "operationId": "merchantListAppointments",
                "summary": "Appointments of the key user's companies, by day, state and provider",
                "description": "Sorted by start. `count` is how many match in all; `limit` and `offset` page them.",
                "tags": [MERCHANT_TAG],
                "security": MERCHANT_SECURITY,
                "parameters": _query_parameters("merchant_appointments"),
                "responses": {
                    "200": _json("MerchantAppointmentsResponse", "The appointments"),
                    "400": _error_response("Bad parameters.", "validation"),
                    **auth_errors,
                },
            }
        },
        "/merchant/appointments/{appointment_id}": {
            "get": {
                "operationId": "merchantGetAppointment",
                "summary": "One appointment, with the actions its state allows",
                "tags": [MERCHANT_TAG],
                "security": MERCHANT_SECURITY,
                "parameters": [APPOINTMENT_ID_PARAMETER],
                "responses": {"200": _json("MerchantAppointmentResponse", "The appointment"), **auth_errors,
                              "404": not_found},
            }
        },
        "/merchant/appointments/{appointment_id}/{action}": {
            "post": {
                "operationId": "merchantActOnAppointment",
                "summary": "Act on an appointment, as the backend's buttons do",
                "description": "Only these actions, each through the backend's own method and guards: "
                + ", ".join(MERCHANT_ACTIONS) + ". `decline` and `cancel` take a `reason`; `move` needs "
                "`start` (and optionally `provider_id`); `complete` takes `charge_card`. Any other action is a "
                "400 `action_not_allowed`. The body is optional for the other actions.",
                "tags": [MERCHANT_TAG],
                "security": MERCHANT_SECURITY,
                "parameters": [APPOINTMENT_ID_PARAMETER,
                               {"name": "action", "in": "path", "required": True,
                                "schema": {"type": "string", "enum": MERCHANT_ACTIONS}}],
                "requestBody": {"required": False,
                                "content": {"application/json": {"schema": ref("MerchantActionRequest")}}},
                "responses": {
                    "200": _json("MerchantAppointmentResponse", "Done"),
                    "400": _error_response("An action outside the allow-list (`action_not_allowed`), or invalid "
                                           "input (`validation`, `contract_mismatch`).", "action_not_allowed"),
                    **auth_errors,
                    "404": not_found,
                    "409": _error_response("The appointment's state does not allow it (`invalid_state`), or the "
                                           "new time is taken (`slot_unavailable`).", "invalid_state"),
                },
            }
        },
    }


def _review_paths():
    """Published reviews of a page's bookings (controllers/api.py, reviews)."""
    return {
        "/pages/{slug}/reviews": {
            "get": {
                "operationId": "getReviews",
                "summary": "Published reviews: the page's average, per service and provider, and the latest",
                "description": "Only reviews the merchant publishes; the author is a first name and initial. "
                "service_id and provider_id narrow the list (not the summaries per service and provider).",
                "parameters": [SLUG_PARAMETER, *_query_parameters("reviews")],
                "responses": {
                    "200": _json("ReviewsResponse", "The reviews"),
                    "400": _error_response("A service or provider not on this page, or a bad limit.", "validation"),
                    "404": _error_response("Unknown or unpublished page.", "not_found"),
                },
            }
        },
    }


def _series_paths():
    """Recurring bookings (controllers/api.py, series)."""
    body = {"required": True, "content": {"application/json": {"schema": ref("SeriesRequest")}}}
    refusals = {
        "400": _error_response("Invalid input: see `fields` (a service without series, a bad rhythm or length, "
                               "a replacement of an occurrence the series does not have).", "validation"),
        "401": _error_response("A bearer token was sent that does not hold.", "unauthorized"),
        "403": _error_response("This page takes bookings from signed-in customers only.", "login_required"),
        "404": _error_response("Unknown or unpublished page.", "not_found"),
        "411": _error_response("No Content-Length header.", "length_required"),
        "413": _error_response("Body larger than 16 KB.", "payload_too_large"),
        "415": _error_response("The body must be application/json.", "unsupported_media_type"),
        "429": _error_response("Too many requests from this address.", "rate_limited"),
    }
    return {
        "/pages/{slug}/series/plan": {
            "post": {
                "operationId": "planSeries",
                "summary": "Check every occurrence of a series, booking nothing",
                "description": "Each occurrence is checked as a single booking would be; a taken one comes "
                "with the nearest free times.",
                "security": OPTIONAL_BEARER,
                "parameters": [SLUG_PARAMETER],
                "requestBody": body,
                "responses": {"200": _json("SeriesPlanResponse", "The plan"), **refusals},
            }
        },
        "/pages/{slug}/series": {
            "post": {
                "operationId": "createSeries",
                "summary": "Book a series: every occurrence, or none",
                "description": "When an occurrence cannot be had nothing is booked: 409 `series_unavailable` "
                "with `occurrences` (the plan); send again with `replacements`. Each booking has its own "
                "deposit, confirmation and cancellation policy. Bookings with a deposit are held "
                "(`pending_payment`) until `series.payment.due_by`: `series.payment.url` pays all their "
                "deposits in one payment; unpaid, they are released and the customer is told.",
                "security": OPTIONAL_BEARER,
                "parameters": [SLUG_PARAMETER, IDEMPOTENCY_KEY_PARAMETER],
                "requestBody": body,
                "responses": {
                    "201": _json("SeriesResponse", "Booked, every occurrence (those with a deposit held until it "
                                 "is paid: see `series.payment`)"),
                    **refusals,
                    "409": _error_response("Some occurrences are not free (`series_unavailable`, see "
                                           "`occurrences`); nothing was booked.", "series_unavailable"),
                },
            }
        },
        "/me/bookings/{booking_id}/cancel-following": {
            "post": {
                "operationId": "cancelSeriesFollowing",
                "summary": "Cancel this booking and the later ones of its series, each under the policy",
                "security": [{"customerSession": []}],
                "parameters": [BOOKING_ID_PARAMETER],
                "requestBody": {"content": {"application/json": {"schema": ref("SeriesCancelRequest")}}},
                "responses": {
                    "200": _json("SeriesCancelResponse", "Cancelled"),
                    "401": UNAUTHORIZED,
                    "404": _error_response("Not this customer's booking.", "not_found"),
                    "409": _error_response("Too late to cancel under the page's policy, or not cancellable.",
                                           "policy_limit"),
                },
            }
        },
    }


def build_document(server_url=""):
    """The OpenAPI 3.1 document of the public API, from the schemas above."""
    write_errors = {
        "400": _error_response("Invalid input: see `fields` (`validation`; `contract_mismatch` when the "
                               "body's shape is not the contract's: unknown fields, wrong JSON types), or "
                               "malformed JSON.",
                               "validation"),
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
                    "page's horizon. Without provider_id, every provider is listed (format=slots), or each time "
                    "once (format=days, the provider is assigned at booking)." + SLOTS_ENCODING,
                    "parameters": slots_parameters,
                    "responses": {
                        "200": _slots_response(),
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
            "/me/live": {
                "get": {
                    "operationId": "getLiveChannel",
                    "summary": "Follow the customer's bookings live over Odoo's websocket",
                    "description": "Open `websocket_url` and send `{\"event_name\": \"subscribe\", \"data\": "
                    "{\"channels\": [channel], \"last\": 0}}`. Each frame is a list of `{id, message: {type, "
                    "payload}}`: `self_serve_booking/booking` (payload LiveBookingEvent) when a booking is approved, "
                    "declined, moved, cancelled, checked in, completed or paid, and `self_serve_booking/message` "
                    "(LiveMessageEvent) for a new message. Nothing more arrives once the token is revoked or "
                    "expired.",
                    "security": bearer,
                    "responses": {"200": _json("LiveChannelResponse", "The channel"), "401": UNAUTHORIZED},
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
            "/me/notification-preferences": {
                "get": {
                    "operationId": "getNotificationPreferences",
                    "summary": "How the customer wants to be told (channel, review requests and follow-ups)",
                    "security": bearer,
                    "responses": {"200": _json("NotificationPreferencesResponse", "The preferences"),
                                  "401": UNAUTHORIZED},
                },
                "patch": {
                    "operationId": "changeNotificationPreferences",
                    "summary": "Change the channel and/or review requests and follow-ups; every merchant's "
                    "messages follow them",
                    "security": bearer,
                    "requestBody": {"required": True, "content": {"application/json": {
                        "schema": ref("NotificationPreferencesChange")}}},
                    "responses": {
                        "200": _json("NotificationPreferencesResponse", "Changed"),
                        "400": _error_response("Invalid input, or no phone / e-mail on file for that channel.",
                                               "validation"),
                        "401": UNAUTHORIZED,
                    },
                },
            },
            "/me/bookings/{booking_id}/slots": {
                "get": {
                    "operationId": "getRescheduleSlots",
                    "summary": "Free slots to move this booking to (its own time counts as free)",
                    "description": "With any_provider, every provider (format=slots) or each time once "
                    "(format=days, the provider is assigned when the booking moves)." + SLOTS_ENCODING,
                    "security": bearer,
                    "parameters": [BOOKING_ID_PARAMETER, *_query_parameters("my_slots")],
                    "responses": {"200": _slots_response(), "401": UNAUTHORIZED,
                                  "400": _error_response("Bad dates, range or format.", "validation"),
                                  "404": _error_response("Not this customer's booking.", "not_found")},
                }
            },
            **_merchant_paths(),
            **_review_paths(),
            **_series_paths(),
        },
        "tags": [
            {"name": MERCHANT_TAG, "description": "For the merchant's own integrations: act on appointments as a "
             "booking user, with an Odoo API key (Preferences > Account Security > New API Key)."},
        ],
        "components": {
            "schemas": SCHEMAS,
            "securitySchemes": {
                "merchantApiKey": {
                    "type": "http", "scheme": "bearer",
                    "description": "An Odoo API key (res.users.apikeys) of a Booking / User; the user's access "
                    "rights and companies apply.",
                },
                "customerSession": {
                    "type": "http", "scheme": "bearer",
                    "description": "Token from POST /pages/{slug}/session/verify.",
                },
            },
        },
    }
