"""The access matrix's allow-list: who may use each public method, field and route of the addon, and why.

Read by ``tests/test_access_matrix.py``, which tries every public method
(no leading underscore) the addon defines or overrides, writes every field it
defines, and asks every route it serves, as each role below. A success that
is not listed here fails the test, and so does a listed one that no longer
succeeds: this file is always the exact answer to "who can do what".

Placing something new:
- a method only the code calls: make it private (``_name``), it needs no entry;
- a button or RPC entry point: an entry with the roles that may call it and
  why (the test fails if another role can, or if a listed role no longer can);
- nobody may call it through RPC: ``Refused(why)`` (or ``Private`` for the
  ORM's own hooks that Odoo's dispatch already refuses);
- a field: an entry only if some role may write it (staff's ``note``...);
  unlisted fields must be refused for every role;
- a route: an entry in ``ROUTES`` with its auth, methods, CSRF and what a
  stranger gets.

Roles (the test builds one user each; "the company" is the record's):
"""

from collections import namedtuple

ROLES = (
    "public",           # not signed in (base.public_user)
    "portal_owner",     # the portal customer whose record it is
    "portal_stranger",  # another portal customer
    "employee",         # an internal user of the company without any booking group
    "user",             # Booking User of the company
    "manager",          # Booking Manager of the company
    "user_other",       # Booking User of another company only
    "manager_other",    # Booking Manager of another company only
)
NOBODY = ()
STAFF = ("user", "manager")
MANAGER = ("manager",)
ANY_STAFF = (*STAFF, "user_other", "manager_other")
OWNER_AND_STAFF = ("portal_owner", *STAFF)
ANYONE = ROLES


class Allow(namedtuple("Allow", "who why")):
    """These roles may call it (or write it); everyone else must be refused."""

    def note(self):
        return f"only {', '.join(self.who)} may ({self.why})"


class Reads(Allow):
    """These roles may call it and it writes nothing (a window action, a form's data)."""


class Refused(namedtuple("Refused", "why")):
    """Nobody may call it through RPC (the code calls it as the superuser, or it is gone)."""

    who = NOBODY

    def note(self):
        return self.why


class Private(Refused):
    """An ORM hook Odoo's dispatch refuses by itself (``@api.private`` in the MRO)."""


# Known holes of issue 22 fixed on the `trust` branch: the test fails on their
# line until that branch is merged (then delete this note from the entry).
FIXED_BY_TRUST = "EXPECTED REFUSED, FIXED BY TRUST: "

# Reasons shared by several entries
ACTION = ("builds a window action from the ids it is given and reads no field of the record: nothing of the "
          "record leaks, nothing is written; the model it opens checks the caller's rights")
OWN_ACTION = ("a window action on a booking the caller can read (the portal owner reads their own); the backend "
              "model it opens refuses customers")
STAFF_RUN = "Booking staff of the record's company run the day (the company rule refuses other companies)"
STAFF_EDIT = "Booking staff of the company edit their company's booking in the backend form"
STAFF_SYSTEM = ("read-only in the form, kept by the code; Booking staff of the company can still write it on "
                "their own company's record through RPC: integrity of their own records, no access beyond "
                "their company, no money moves through it")
MANAGER_SETUP = "the company's Booking Manager sets up pages, services, providers, policies and rules"
WIZARD = ("a wizard is the caller's scratch record: any Booking staff may fill one in; its action checks the "
          "caller's rights on the records it names (tried in METHODS with another company's records)")
PORTAL_PETS = "the customer keeps the details of their own pets and family in the portal (PORTAL_FIELDS only)"

METHODS = {
    "booking.appointment": {
        "action_approve": Allow(STAFF, STAFF_RUN),
        "action_decline": Allow(STAFF, STAFF_RUN),
        "action_cancel": Allow(STAFF, STAFF_RUN + "; customers cancel through the portal's route (policy)"),
        "action_check_in": Allow(STAFF, STAFF_RUN + "; customers check in through the signed QR link"),
        "action_complete": Allow(STAFF, STAFF_RUN),
        "action_checkout_complete": Allow(STAFF, STAFF_RUN),
        "action_checkout_complete_and_charge": Allow(STAFF, STAFF_RUN),
        "action_no_show": Allow(STAFF, STAFF_RUN),
        "action_cancel_series_following": Allow(STAFF, STAFF_RUN),
        "action_merge_customer": Reads(STAFF, "opens Odoo's contact merge wizard (its own rights apply)"),
        "action_open_cancel_wizard": Reads(ANYONE, ACTION),
        "action_open_decline_wizard": Reads(ANYONE, ACTION),
        "action_open_checkout": Reads(OWNER_AND_STAFF, OWN_ACTION),
        "action_register_payment": Reads(OWNER_AND_STAFF, OWN_ACTION),
        "action_charge_saved_card": Reads(OWNER_AND_STAFF, OWN_ACTION),
        "action_view_contract": Reads(OWNER_AND_STAFF, OWN_ACTION),
        "action_retry_calendar_sync": Allow(STAFF, STAFF_RUN + " (checks write access first: customers read only)"),
        "action_send_receipt_by_email": Allow(STAFF, FIXED_BY_TRUST + "the desk resends a receipt; the portal "
                                                  "owner must not queue messages at will"),
        "action_send_receipt_by_sms": Allow(STAFF, FIXED_BY_TRUST + "the desk resends a receipt; the portal "
                                                "owner must not queue paid SMS at will"),
        "message_post": Allow(STAFF, "staff write in their company's booking's chatter; customers post "
                                     "through the portal's chatter route, which checks the link"),
        "create": Allow(STAFF, "staff book walk-ins and phone calls for their company (rule on the page)"),
        "init": Private("the ORM's install hook"),
    },
    "booking.appointment.line": {
        "create": Allow(STAFF, "staff add add-ons and discounts to their company's bills; "
                               + FIXED_BY_TRUST + "loyalty fields on a line by hand"),
        "unlink": Allow(STAFF, "staff remove an add-on or discount from their company's bill (never the service "
                               "line)"),
    },
    "booking.appointment.reason.wizard": {"action_apply": Allow(STAFF, STAFF_RUN)},
    "booking.assistant": {
        "action_search": Allow(STAFF, STAFF_RUN + ": the front desk's walk-in assistant"),
        "action_book_walk_in": Allow(STAFF, STAFF_RUN + ": the front desk's walk-in assistant"),
    },
    "booking.assistant.slot": {"action_book": Allow(STAFF, STAFF_RUN + ": the front desk's walk-in assistant")},
    "booking.conversation": {
        "action_close": Allow(STAFF, STAFF_RUN + ": staff close a receptionist conversation they took over"),
        "action_open_booking": Reads(STAFF, "opens the conversation's booking"),
    },
    "booking.counter.payment": {"action_confirm": Allow(STAFF, STAFF_RUN + ": payment taken at the desk")},
    "booking.customer.session": {
        "action_revoke": Refused("the API's sign-out revokes its own session as sudo; nobody revokes one by RPC "
                                 "(sessions are read-only for staff)"),
    },
    "booking.dependant": {
        "action_view_visits": Reads(OWNER_AND_STAFF, "lists the visits the caller can read"),
        "create": Allow(OWNER_AND_STAFF, PORTAL_PETS + "; staff record a customer's pet"),
    },
    "booking.notification": {
        "action_retry": Allow(MANAGER, "the company's Booking Manager sends a failed message again"),
    },
    "booking.page": {
        "create": Allow(MANAGER, MANAGER_SETUP),
        "copy_data": Reads(MANAGER, "duplicating a page the manager can read"),
    },
    "booking.payment.contract": {
        "action_refund_open": Reads(ANYONE, ACTION),
        "action_view_invoices": Reads(ANYONE, ACTION),
        "action_view_transactions": Reads(STAFF, "lists the contract's transactions (reads its own ids)"),
    },
    "booking.provider": {
        "action_block_time": Reads(STAFF, "opens a time-off form for the provider"),
        "action_view_time_off": Reads(STAFF, "lists the provider's time off"),
        "action_view_appointments": Reads(ANYONE, ACTION),
    },
    "booking.refund.wizard": {
        "action_refund": Allow(STAFF, "staff of the contract's company refund within what was paid (the wizard "
                                      "checks the contract's access before refunding as sudo)"),
    },
    "booking.report": {"init": Private("the ORM's install hook (the SQL view)")},
    "booking.series": {
        "action_view_appointments": Reads(OWNER_AND_STAFF, "lists the occurrences the caller can read"),
    },
    "booking.series.wizard": {"action_book": Allow(STAFF, STAFF_RUN + ": repeat a booking as a series")},
    "booking.waitlist": {
        "create": Allow(STAFF, STAFF_RUN + ": a customer on the phone joins the waitlist"),
        "action_accept_offer": Allow(STAFF, STAFF_RUN + " (customers answer through the signed offer link)"),
        "action_decline_offer": Allow(STAFF, STAFF_RUN + " (customers answer through the signed offer link)"),
        "action_book": Allow(STAFF, STAFF_RUN),
        "action_cancel": Allow(STAFF, STAFF_RUN),
        "action_reopen": Allow(STAFF, STAFF_RUN),
        "action_find_slot": Reads(STAFF, "opens the walk-in assistant on the entry"),
    },
    "payment.token": {
        "create": Refused("cards are saved by the payment flow (as sudo, for the signed-in or verified payer)"),
    },
    "rating.rating": {
        "action_booking_publish": Allow(STAFF, "Booking staff of the review's company publish it"),
        "action_booking_unpublish": Allow(STAFF, "Booking staff of the review's company hide it"),
    },
    "res.partner": {
        "action_booking_mark_verified": Allow(STAFF, FIXED_BY_TRUST + "any signed-in user marks any contact "
                                                     "verified today; staff of a company that knows the customer "
                                                     "only"),
        "action_booking_merge_same_as": Reads(ANY_STAFF,
                                              "contacts are shared between companies: opens Odoo's merge "
                                              "wizard, whose own rights apply (base.group_partner_manager)"),
        "action_view_booking_appointments": Reads(ANYONE, ACTION),
        "action_view_booking_dependants": Reads(ANYONE, ACTION),
    },
}
FIELDS = {
    "booking.appointment": {
        "address": Allow(STAFF, STAFF_EDIT),
        "approval_deadline": Allow(STAFF, STAFF_SYSTEM),
        "buffer_after_minutes": Allow(STAFF, STAFF_EDIT),
        "buffer_before_minutes": Allow(STAFF, STAFF_EDIT),
        "busy_start": Allow(STAFF, STAFF_SYSTEM + " (the range follows duration and buffers, which staff edit; the exclusion constraint checks whatever is written)"),
        "busy_stop": Allow(STAFF, STAFF_SYSTEM + " (the range follows duration and buffers, which staff edit; the exclusion constraint checks whatever is written)"),
        "calendar_sync_attempts": Allow(STAFF, STAFF_SYSTEM),
        "calendar_sync_error": Allow(STAFF, STAFF_SYSTEM),
        "calendar_sync_next_at": Allow(STAFF, STAFF_SYSTEM),
        "calendar_sync_state": Allow(STAFF, STAFF_SYSTEM),
        "cancel_reason": Allow(STAFF, STAFF_SYSTEM),
        "cancelled_at": Allow(STAFF, STAFF_SYSTEM),
        "cancelled_by": Allow(STAFF, STAFF_SYSTEM),
        "care_instructions": Allow(STAFF, STAFF_EDIT),
        "channel": Allow(STAFF, STAFF_EDIT),
        "check_in_method": Allow(STAFF, STAFF_SYSTEM),
        "checked_in_at": Allow(STAFF, STAFF_SYSTEM),
        "completed_at": Allow(STAFF, STAFF_SYSTEM),
        "confirmed_at": Allow(STAFF, STAFF_SYSTEM),
        "contract_id": Refused("the bill creates the contract; linking another booking's (or company's) money is refused"),
        "customer_exclusive": Allow(STAFF, STAFF_SYSTEM),
        "duration_minutes": Allow(STAFF, STAFF_EDIT),
        "hold_expires_at": Allow(STAFF, "staff extend or shorten a payment hold of their company's booking"),
        "loyalty_points_earned": Refused(FIXED_BY_TRUST + "points move only through the reward flow and the life cycle"),
        "moved_by": Allow(STAFF, STAFF_SYSTEM),
        "name": Allow(STAFF, STAFF_SYSTEM),
        "note": Allow(STAFF, STAFF_EDIT),
        "partner_id": Allow(STAFF, STAFF_EDIT),
        "pending_since": Allow(STAFF, STAFF_SYSTEM),
        "prepay_full": Allow(STAFF, STAFF_SYSTEM),
        "price": Allow(STAFF, "the bill's total, computed from its lines, whose prices staff set anyway"),
        "price_subtotal": Allow(STAFF, "the bill's total, computed from its lines, whose prices staff set anyway"),
        "price_tax": Allow(STAFF, "the bill's total, computed from its lines, whose prices staff set anyway"),
        "series_id": Allow(STAFF, STAFF_SYSTEM),
        "service_id": Allow(STAFF, STAFF_EDIT),
        "source": Allow(STAFF, STAFF_SYSTEM),
        "start": Allow(STAFF, STAFF_EDIT),
        "state": Refused("a booking changes state through its transitions only (their rules and hooks)"),
        "stop": Allow(STAFF, STAFF_SYSTEM + " (the range follows duration and buffers, which staff edit; the exclusion constraint checks whatever is written)"),
        "travel_minutes": Allow(STAFF, STAFF_EDIT),
        "visit_summary": Allow(STAFF, STAFF_EDIT),
        "waitlist_id": Allow(STAFF, STAFF_SYSTEM),
    },
    "booking.appointment.line": {
        "company_id": Allow(STAFF, STAFF_SYSTEM + " (a copy of the booking's company: written, the line shows in that company)"),
        "loyalty_card_id": Refused(FIXED_BY_TRUST + "any Booking user mints points through a line"),
        "loyalty_points_used": Refused(FIXED_BY_TRUST + "any Booking user mints points through a line"),
        "loyalty_reward_id": Refused(FIXED_BY_TRUST + "any Booking user mints points through a line"),
        "name": Allow(STAFF, "staff correct their company's bill: a longer cut, a goodwill price, an add-on"),
        "price_subtotal": Allow(STAFF, "the line's totals, from its price and quantity that staff set anyway"),
        "price_tax": Allow(STAFF, "the line's totals, from its price and quantity that staff set anyway"),
        "price_total": Allow(STAFF, "the line's totals, from its price and quantity that staff set anyway"),
        "price_unit": Allow(STAFF, "staff correct their company's bill: a longer cut, a goodwill price, an add-on"),
        "product_id": Allow(STAFF, "staff correct their company's bill: a longer cut, a goodwill price, an add-on"),
        "quantity": Allow(STAFF, "staff correct their company's bill: a longer cut, a goodwill price, an add-on"),
        "sequence": Allow(STAFF, "staff correct their company's bill: a longer cut, a goodwill price, an add-on"),
        "tax_ids": Allow(STAFF, "staff correct their company's bill: a longer cut, a goodwill price, an add-on"),
    },
    "booking.appointment.reason.wizard": {
        "action": Allow(ANY_STAFF, WIZARD),
        "appointment_ids": Allow(ANY_STAFF, WIZARD),
        "reason": Allow(ANY_STAFF, WIZARD),
    },
    "booking.assistant": {
        "address": Allow(ANY_STAFF, WIZARD),
        "channel": Allow(ANY_STAFF, WIZARD),
        "date": Allow(ANY_STAFF, WIZARD),
        "dependant_ids": Allow(ANY_STAFF, WIZARD),
        "dependant_mode": Allow(ANY_STAFF, WIZARD),
        "note": Allow(ANY_STAFF, WIZARD),
        "partner_id": Allow(ANY_STAFF, WIZARD),
        "provider_id": Allow(ANY_STAFF, WIZARD),
        "searched": Allow(ANY_STAFF, WIZARD),
        "service_id": Allow(ANY_STAFF, WIZARD),
        "waitlist_id": Allow(ANY_STAFF, WIZARD),
    },
    "booking.assistant.slot": {
        "label": Allow(ANY_STAFF, WIZARD),
        "provider_id": Allow(ANY_STAFF, WIZARD),
        "sequence": Allow(ANY_STAFF, WIZARD),
        "start": Allow(ANY_STAFF, WIZARD),
        "stop": Allow(ANY_STAFF, WIZARD),
        "wizard_id": Allow(ANY_STAFF, WIZARD),
    },
    "booking.cancellation.policy": {
        "active": Allow(MANAGER, MANAGER_SETUP + " (a shared policy, without company, is any company's manager's to edit, as Odoo shares records)"),
        "cancel_limit_hours": Allow(MANAGER, MANAGER_SETUP + " (a shared policy, without company, is any company's manager's to edit, as Odoo shares records)"),
        "company_id": Allow(MANAGER, MANAGER_SETUP + " (a shared policy, without company, is any company's manager's to edit, as Odoo shares records)"),
        "description": Allow(MANAGER, MANAGER_SETUP + " (a shared policy, without company, is any company's manager's to edit, as Odoo shares records)"),
        "name": Allow(MANAGER, MANAGER_SETUP + " (a shared policy, without company, is any company's manager's to edit, as Odoo shares records)"),
        "no_show_fee_value": Allow(MANAGER, MANAGER_SETUP + " (a shared policy, without company, is any company's manager's to edit, as Odoo shares records)"),
        "no_show_grace_minutes": Allow(MANAGER, MANAGER_SETUP + " (a shared policy, without company, is any company's manager's to edit, as Odoo shares records)"),
        "no_show_risk_action": Allow(MANAGER, MANAGER_SETUP + " (a shared policy, without company, is any company's manager's to edit, as Odoo shares records)"),
        "no_show_risk_count": Allow(MANAGER, MANAGER_SETUP + " (a shared policy, without company, is any company's manager's to edit, as Odoo shares records)"),
        "no_show_risk_months": Allow(MANAGER, MANAGER_SETUP + " (a shared policy, without company, is any company's manager's to edit, as Odoo shares records)"),
        "reschedule_limit_hours": Allow(MANAGER, MANAGER_SETUP + " (a shared policy, without company, is any company's manager's to edit, as Odoo shares records)"),
        "sequence": Allow(MANAGER, MANAGER_SETUP + " (a shared policy, without company, is any company's manager's to edit, as Odoo shares records)"),
        "tier_ids": Allow(MANAGER, MANAGER_SETUP + " (a shared policy, without company, is any company's manager's to edit, as Odoo shares records)"),
    },
    "booking.cancellation.policy.tier": {
        "min_notice_hours": Allow(MANAGER, MANAGER_SETUP),
        "refund_percent": Allow(MANAGER, MANAGER_SETUP),
    },
    "booking.counter.payment": {
        "amount": Allow(ANY_STAFF, WIZARD),
        "appointment_id": Allow(ANY_STAFF, WIZARD),
        "journal_id": Allow(ANY_STAFF, WIZARD),
        "kind": Allow(ANY_STAFF, WIZARD),
        "memo": Allow(ANY_STAFF, WIZARD),
        "pay_with": Allow(ANY_STAFF, WIZARD),
        "payment_method_line_id": Allow(ANY_STAFF, WIZARD),
    },
    "booking.customer.session": {
        "partner_id": Refused("a session is a proof of identity: only the sign-in code flow writes it (staff read sessions)"),
    },
    "booking.dependant": {
        "active": Allow(OWNER_AND_STAFF, PORTAL_PETS + "; staff keep the details of the pets they see"),
        "appointment_ids": Refused("a pet's visits are named by its bookings, never from the pet (it wrote into another company's booking)"),
        "breed": Allow(OWNER_AND_STAFF, PORTAL_PETS + "; staff keep the details of the pets they see"),
        "company_id": Allow(STAFF, "staff record whose pet it is and for which merchant (the rule shows them their company's and their customers' pets)"),
        "kind": Allow(OWNER_AND_STAFF, PORTAL_PETS + "; staff keep the details of the pets they see"),
        "medical_notes": Allow(OWNER_AND_STAFF, PORTAL_PETS + "; staff keep the details of the pets they see"),
        "name": Allow(OWNER_AND_STAFF, PORTAL_PETS + "; staff keep the details of the pets they see"),
        "partner_id": Allow(STAFF, "staff record whose pet it is and for which merchant (the rule shows them their company's and their customers' pets)"),
        "species": Allow(OWNER_AND_STAFF, PORTAL_PETS + "; staff keep the details of the pets they see"),
        "weight": Allow(OWNER_AND_STAFF, PORTAL_PETS + "; staff keep the details of the pets they see"),
    },
    "booking.notification": {
        "appointment_id": Refused("the outbox is written by the code only (managers retry)"),
    },
    "booking.notification.rule": {
        "active": Allow(MANAGER, MANAGER_SETUP),
        "channel": Allow(MANAGER, MANAGER_SETUP),
        "event": Allow(MANAGER, MANAGER_SETUP),
        "mail_template_id": Allow(MANAGER, MANAGER_SETUP),
        "offset_hours": Allow(MANAGER, MANAGER_SETUP),
        "sequence": Allow(MANAGER, MANAGER_SETUP),
        "sms_template_id": Allow(MANAGER, MANAGER_SETUP),
    },
    "booking.page": {
        "active": Allow(MANAGER, MANAGER_SETUP),
        "allow_guest_booking": Allow(MANAGER, MANAGER_SETUP),
        "allow_overlapping_bookings": Allow(MANAGER, MANAGER_SETUP),
        "approval_expiry_hours": Allow(MANAGER, MANAGER_SETUP),
        "approval_nudge_hours": Allow(MANAGER, MANAGER_SETUP),
        "auto_confirm": Allow(MANAGER, MANAGER_SETUP),
        "cancellation_policy_id": Allow(MANAGER, MANAGER_SETUP),
        "chatbot_script_id": Allow(MANAGER, MANAGER_SETUP),
        "check_in_opens_minutes": Allow(MANAGER, MANAGER_SETUP),
        "description": Allow(MANAGER, MANAGER_SETUP),
        "livechat_channel_id": Allow(MANAGER, MANAGER_SETUP),
        "loyalty_program_id": Allow(MANAGER, MANAGER_SETUP),
        "max_advance_days": Allow(MANAGER, MANAGER_SETUP),
        "min_notice_hours": Allow(MANAGER, MANAGER_SETUP),
        "name": Allow(MANAGER, MANAGER_SETUP),
        "partner_id": Allow(MANAGER, MANAGER_SETUP),
        "payment_hold_minutes": Allow(MANAGER, MANAGER_SETUP),
        "provider_ids": Allow(MANAGER, MANAGER_SETUP),
        "rate_limit_count": Allow(MANAGER, MANAGER_SETUP),
        "rate_limit_minutes": Allow(MANAGER, MANAGER_SETUP),
        "receptionist_livechat": Allow(MANAGER, MANAGER_SETUP),
        "receptionist_messages_per_hour": Allow(MANAGER, MANAGER_SETUP),
        "receptionist_quiet_hours": Allow(MANAGER, MANAGER_SETUP),
        "responsible_user_id": Allow(MANAGER, MANAGER_SETUP),
        "reviews_auto_publish": Allow(MANAGER, MANAGER_SETUP),
        "reviews_enabled": Allow(MANAGER, MANAGER_SETUP),
        "reviews_show": Allow(MANAGER, MANAGER_SETUP),
        "sequence": Allow(MANAGER, MANAGER_SETUP),
        "service_ids": Allow(MANAGER, MANAGER_SETUP),
        "show_providers": Allow(MANAGER, MANAGER_SETUP),
        "sync_provider_calendars": Allow(MANAGER, MANAGER_SETUP),
        "twilio_account_sid": Allow(MANAGER, MANAGER_SETUP),
        "twilio_auth_token": Allow(MANAGER, MANAGER_SETUP),
        "twilio_number": Allow(MANAGER, MANAGER_SETUP),
        "tz": Allow(MANAGER, MANAGER_SETUP),
        "waitlist_offer_minutes": Allow(MANAGER, MANAGER_SETUP),
    },
    "booking.payment.contract": {
        "amount_paid": Refused("money is written by the payment flow only (managers read contracts)"),
    },
    "booking.provider": {
        "active": Allow(MANAGER, MANAGER_SETUP),
        "bio": Allow(MANAGER, MANAGER_SETUP),
        "color": Allow(MANAGER, MANAGER_SETUP),
        "job_title": Allow(MANAGER, MANAGER_SETUP),
        "name": Allow(MANAGER, MANAGER_SETUP),
        "page_ids": Allow(MANAGER, MANAGER_SETUP),
        "sequence": Allow(MANAGER, MANAGER_SETUP),
        "service_ids": Allow(MANAGER, MANAGER_SETUP),
        "travel_minutes": Allow(MANAGER, MANAGER_SETUP),
        "user_id": Allow(MANAGER, MANAGER_SETUP),
    },
    "booking.refund.wizard": {
        "amount": Allow(ANY_STAFF, WIZARD),
        "contract_id": Allow(ANY_STAFF, WIZARD),
        "reason": Allow(ANY_STAFF, WIZARD),
    },
    "booking.series": {
        "appointment_ids": Allow(STAFF, STAFF_EDIT),
        "count": Allow(STAFF, STAFF_SYSTEM),
        "interval_weeks": Allow(STAFF, STAFF_EDIT),
        "name": Allow(STAFF, STAFF_SYSTEM),
        "partner_id": Allow(STAFF, STAFF_EDIT),
        "provider_id": Allow(STAFF, STAFF_EDIT),
        "service_id": Allow(STAFF, STAFF_EDIT),
        "source": Allow(STAFF, STAFF_SYSTEM),
        "until_date": Allow(STAFF, STAFF_SYSTEM),
    },
    "booking.series.wizard": {
        "appointment_id": Allow(ANY_STAFF, WIZARD),
        "count": Allow(ANY_STAFF, WIZARD),
        "end_type": Allow(ANY_STAFF, WIZARD),
        "interval_weeks": Allow(ANY_STAFF, WIZARD),
        "until_date": Allow(ANY_STAFF, WIZARD),
    },
    "booking.service": {
        "active": Allow(MANAGER, MANAGER_SETUP),
        "allow_series": Allow(MANAGER, MANAGER_SETUP),
        "buffer_after_minutes": Allow(MANAGER, MANAGER_SETUP),
        "buffer_before_minutes": Allow(MANAGER, MANAGER_SETUP),
        "color": Allow(MANAGER, MANAGER_SETUP),
        "dependant_kind_child": Allow(MANAGER, MANAGER_SETUP),
        "dependant_kind_other": Allow(MANAGER, MANAGER_SETUP),
        "dependant_kind_pet": Allow(MANAGER, MANAGER_SETUP),
        "dependant_max": Allow(MANAGER, MANAGER_SETUP),
        "dependant_multi": Allow(MANAGER, MANAGER_SETUP),
        "deposit_value": Allow(MANAGER, MANAGER_SETUP),
        "description": Allow(MANAGER, MANAGER_SETUP),
        "duration_minutes": Allow(MANAGER, MANAGER_SETUP),
        "for_dependant": Allow(MANAGER, MANAGER_SETUP),
        "location": Allow(MANAGER, MANAGER_SETUP),
        "name": Allow(MANAGER, MANAGER_SETUP),
        "page_ids": Allow(MANAGER, MANAGER_SETUP),
        "price": Allow(MANAGER, MANAGER_SETUP),
        "product_id": Allow(MANAGER, MANAGER_SETUP),
        "provider_ids": Allow(MANAGER, MANAGER_SETUP),
        "rebook_after_days": Allow(MANAGER, MANAGER_SETUP),
        "receptionist_keywords": Allow(MANAGER, MANAGER_SETUP),
        "requires_approval": Allow(MANAGER, MANAGER_SETUP),
        "sequence": Allow(MANAGER, MANAGER_SETUP),
    },
    "booking.waitlist": {
        "appointment_id": Allow(STAFF, STAFF_SYSTEM),
        "date": Allow(STAFF, "staff edit their company's waitlist entry"),
        "name": Allow(STAFF, STAFF_SYSTEM),
        "note": Allow(STAFF, "staff edit their company's waitlist entry"),
        "offer_expires_at": Allow(STAFF, STAFF_SYSTEM),
        "offer_provider_id": Allow(STAFF, STAFF_SYSTEM),
        "offer_start": Allow(STAFF, STAFF_SYSTEM),
        "partner_id": Allow(STAFF, "staff edit their company's waitlist entry"),
        "provider_id": Allow(STAFF, "staff edit their company's waitlist entry"),
        "service_id": Allow(STAFF, "staff edit their company's waitlist entry"),
        "source": Allow(STAFF, "staff edit their company's waitlist entry"),
        "state": Allow(STAFF, STAFF_SYSTEM),
        "time_from": Allow(STAFF, "staff edit their company's waitlist entry"),
        "time_to": Allow(STAFF, "staff edit their company's waitlist entry"),
    },
    "rating.rating": {
        "booking_answered_at": Refused(FIXED_BY_TRUST + "reviews are written through the customer's signed link; staff reply, publish or hide"),
        "booking_appointment_id": Refused(FIXED_BY_TRUST + "reviews are written through the customer's signed link; staff reply, publish or hide"),
        "booking_company_id": Refused(FIXED_BY_TRUST + "reviews are written through the customer's signed link; staff reply, publish or hide"),
        "booking_page_id": Refused(FIXED_BY_TRUST + "reviews are written through the customer's signed link; staff reply, publish or hide"),
        "booking_provider_id": Refused(FIXED_BY_TRUST + "reviews are written through the customer's signed link; staff reply, publish or hide"),
        "booking_service_id": Refused(FIXED_BY_TRUST + "reviews are written through the customer's signed link; staff reply, publish or hide"),
    },
}

ROUTES = {}
