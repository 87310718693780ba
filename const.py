"""The addon's states, kinds and limits: one home for each, used everywhere.

Pure Python, no Odoo import (the API contract and the engine may read it too).
"""

import re
from datetime import timedelta

# === APPOINTMENT STATES (DESIGN.md section 3) === #

# States that hold the provider's time: PostgreSQL's exclusion constraint,
# the availability engine and the overlap checks all count exactly these.
TIME_HOLDING_STATES = ("pending_payment", "pending", "confirmed", "checked_in", "done")
# States from which the time, the provider or the service may still change;
# the customer may cancel from them too.
MOVABLE_STATES = ("pending_payment", "pending", "confirmed")
CANCELLABLE_STATES = MOVABLE_STATES
# States a customer may move a booking from online (an unpaid hold is paid or dropped, not moved).
RESCHEDULABLE_STATES = ("pending", "confirmed")
# States of a booking that will not take place: it owes no balance.
CLOSED_STATES = ("cancelled", "rejected", "expired", "no_show")
# States in which staff may still change an appointment's bill (after checkout it is what was invoiced).
BILL_EDITABLE_STATES = ("pending_payment", "pending", "confirmed", "checked_in")
# Closed before it took place (cancelled, declined or expired): its money is settled by refunds.
CANCELLED_STATES = ("cancelled", "rejected", "expired")
# Still ahead of the customer (the portal's "upcoming").
UPCOMING_STATES = ("pending_payment", "pending", "confirmed", "checked_in")
# Shown as backend columns whether or not they hold appointments.
PIPELINE_STATES = ("pending_payment", "pending", "confirmed", "checked_in", "done")

# Minutes after its end an appointment of a page without a cancellation policy becomes a no-show.
NO_POLICY_NO_SHOW_GRACE = 15

# === WAITLIST === #

WAITLIST_OPEN_STATES = ("waiting", "offered")

# === MONEY === #

# What a customer pays for: each is a kind of payment.transaction.
CHARGE_KINDS = ("deposit", "balance", "tip", "no_show_fee")
# Payments at the counter (account.payment) that count as money received or given back.
COUNTED_PAYMENT_STATES = ("in_process", "paid")
# Transaction states of a payment on its way or done: a deposit in them is paid, or being paid.
PAYMENT_IN_FLIGHT_STATES = ("pending", "authorized", "done")
TIP_PRESETS = (15, 18, 20)  # percent of the service price
# A tip's draft transaction blocks a second tip this long (its payment form may still be submitted).
TIP_DRAFT_LIFETIME = timedelta(hours=1)
MAX_AMOUNT = 1e9  # no booking moves a billion: larger amounts overflow the currency rounding

# === PAGES AND REQUESTS === #

SLUG_RE = re.compile(r"^[a-z0-9]+(?:-[a-z0-9]+)*$")
SLUG_MAX_LENGTH = 64
# The widest range of dates one slots request may ask for (a month view and its margins).
MAX_SLOT_RANGE_DAYS = 62
# Attempts of one client (refused ones included) may be this many times the page's write limit.
ATTEMPTS_FACTOR = 6
# The URL converter of record ids (models/ir_http.py): ASCII digits within PostgreSQL's integer.
URL_ID = "booking_id"

# Where customers book by themselves (a guest's repeated request is recognised across them)
ONLINE_SOURCES = ("website", "api", "sms", "chat")
