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


class Route(namedtuple("Route", "auth methods csrf type public why")):
    """A route as Odoo serves it; ``public``: a stranger (no session, no token) may get a 2xx, by design."""


class Private(Refused):
    """An ORM hook Odoo's dispatch refuses by itself (``@api.private`` in the MRO)."""


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
SETUP_OWN = ("the guided setup of the caller's own company (env.company): a Booking Manager of any company runs "
             "it for theirs; the steps refuse a page of another company (check_company)")
SETUP_STEP = ("the company's Booking Manager does a step of the guided setup on their company's page (a manager of "
              "another company naming it is refused)")
SETUP_WIZARD = ("a setup step is the manager's scratch form (Booking Managers only); its Save checks the page's "
                "company")
ADMIN_ONLY = "an administrator's: connecting a payment provider installs and configures modules"
PORTAL_PETS = "the customer keeps the details of their own pets and family in the portal (PORTAL_FIELDS only)"

METHODS = {
    "booking.appointment": {
        "action_approve": Allow(STAFF, STAFF_RUN),
        "action_decline": Allow(STAFF, STAFF_RUN),
        "action_cancel": Allow(STAFF, STAFF_RUN + "; customers cancel through the portal's route (policy)"),
        "action_check_in": Allow(STAFF, STAFF_RUN + "; customers check in through the signed QR link"),
        "action_on_my_way": Allow(STAFF, STAFF_RUN + "; texts the customer (paid SMS): staff of the booking's company "
                                            "only, once per booking every few minutes, on the day of a confirmed "
                                            "booking; the provider's agenda link is signed for the booking"),
        "action_complete": Allow(STAFF, STAFF_RUN),
        "action_checkout_complete": Allow(STAFF, STAFF_RUN),
        "action_checkout_complete_and_charge": Allow(STAFF, STAFF_RUN),
        "action_no_show": Allow(STAFF, STAFF_RUN),
        "action_cancel_series_following": Allow(STAFF, STAFF_RUN),
        "action_merge_customer": Reads(STAFF, "opens Odoo's contact merge wizard (its own rights apply)"),
        "action_open_cancel_wizard": Reads(ANYONE, ACTION),
        "action_open_decline_wizard": Reads(ANYONE, ACTION),
        "action_open_checkout": Reads(OWNER_AND_STAFF, OWN_ACTION),
        "action_open_checkout_dialog": Reads(OWNER_AND_STAFF, OWN_ACTION),
        "action_take_no_show_fee": Reads(OWNER_AND_STAFF, OWN_ACTION + " (the desk's payment dialog for the fee)"),
        "action_register_payment": Reads(OWNER_AND_STAFF, OWN_ACTION),
        "action_charge_saved_card": Reads(OWNER_AND_STAFF, OWN_ACTION),
        "action_view_contract": Reads(OWNER_AND_STAFF, OWN_ACTION),
        "action_retry_calendar_sync": Allow(STAFF, STAFF_RUN + " (checks write access first: customers read only)"),
        "action_send_receipt_by_email": Allow(STAFF, "the desk resends a receipt; the portal "
                                                  "owner must not queue messages at will"),
        "action_send_receipt_by_sms": Allow(STAFF, "the desk resends a receipt; the portal "
                                                "owner must not queue paid SMS at will"),
        "message_post": Allow(STAFF, "staff write in their company's booking's chatter; customers post "
                                     "through the portal's chatter route, which checks the link"),
        "create": Allow(STAFF, "staff book walk-ins and phone calls for their company (rule on the page)"),
        "init": Private("the ORM's install hook"),
    },
    "booking.appointment.line": {
        # tried with a loyalty card and 100,000 points (issue 22's critical #4): the reward flow alone writes those
        "create": Refused("any Booking user mints points through a line's loyalty fields"),
        "unlink": Allow(STAFF, "staff remove an add-on or discount from their company's bill (never the service "
                               "line)"),
    },
    "booking.appointment.reason.wizard": {"action_apply": Allow(STAFF, STAFF_RUN)},
    "booking.assistant": {
        "action_book_start": Allow(STAFF, STAFF_RUN + ": the day sheet books the time chosen on it"),
        "action_search": Allow(STAFF, STAFF_RUN + ": the front desk's walk-in assistant"),
        "action_book_walk_in": Allow(STAFF, STAFF_RUN + ": the front desk's walk-in assistant"),
    },
    "booking.assistant.slot": {"action_book": Allow(STAFF, STAFF_RUN + ": the front desk's walk-in assistant")},
    "booking.conversation": {
        "action_close": Allow(STAFF, STAFF_RUN + ": staff close a receptionist conversation they took over"),
        "action_open_booking": Reads(STAFF, "opens the conversation's booking"),
    },
    "booking.counter.payment": {"action_confirm": Allow(STAFF, STAFF_RUN + ": payment taken at the desk")},
    "booking.on.my.way": {"action_send": Allow(STAFF, STAFF_RUN + ": through action_on_my_way (staff of the booking's "
                                                      "company, on the day, once every few minutes)")},
    "booking.checkout": {"action_confirm": Allow(STAFF, STAFF_RUN + ": the desk's checkout (bill, tip, payment, "
                                                         "receipt) of their company's booking")},
    "booking.time.off": {"action_confirm": Allow(STAFF, STAFF_RUN + ": time off blocked on their company's "
                                                         "provider, its bookings moved or cancelled by their rules")},
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
        "init": Private("the ORM's install hook (the index of due messages)"),
    },
    "booking.notification.rule": {
        # overridden for the reminder's default hours (create) and the published page's confirmation (unlink)
        "create": Allow(MANAGER, MANAGER_SETUP),
        "unlink": Allow(MANAGER, MANAGER_SETUP),
    },
    "booking.page": {
        "create": Allow(MANAGER, MANAGER_SETUP),
        "copy_data": Reads(STAFF, "the data of a page the caller reads anyway (a copy needs the manager's "
                                  "create right)"),
    },
    "booking.payment.contract": {
        "action_refund_open": Reads(STAFF, "opens the refund dialog of a contract the caller reads (its title "
                                           "names the booking)"),
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
    "booking.conversation.report": {"init": Private("the ORM's install hook (the SQL view)")},
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
    "booking.setup.hours": {
        "action_continue": Allow(MANAGER, SETUP_STEP),
        "action_save": Allow(MANAGER, SETUP_STEP),
    },
    "booking.setup.payment": {
        "action_continue": Allow(MANAGER, SETUP_STEP),
        "action_save": Allow(MANAGER, SETUP_STEP),
        "action_connect_stripe": Refused(ADMIN_ONLY + " (not run here: module operations are not transactional)"),
        "action_open_providers": Refused(ADMIN_ONLY),
    },
    "booking.setup.policy": {
        "action_continue": Allow(MANAGER, SETUP_STEP),
        "action_save": Allow(MANAGER, SETUP_STEP),
    },
    "booking.setup.publish": {
        "action_save": Allow(MANAGER, SETUP_STEP),
        "action_publish": Allow(MANAGER, SETUP_STEP),
        "action_continue": Refused("the last step has no next one (no button; through RPC an IndexError, reported)"),
    },
    "booking.setup.services": {
        "action_continue": Allow(MANAGER, SETUP_STEP),
        "action_save": Allow(MANAGER, SETUP_STEP),
    },
    "booking.setup.team": {
        "action_continue": Allow(MANAGER, SETUP_STEP),
        "action_save": Allow(MANAGER, SETUP_STEP),
    },
    "booking.day.sheet": {
        "get_day_sheet": Reads(STAFF, "the day sheet of the pages the caller's record rules show"),
    },
    "onboarding.onboarding": {
        "booking_setup_panel": Allow(("manager", "manager_other"), SETUP_OWN),
        "action_close_panel_booking_setup": Allow(("manager", "manager_other"), SETUP_OWN),
    },
    "onboarding.onboarding.step": {
        "action_open_step_booking_hours": Allow(("manager", "manager_other"), SETUP_OWN),
        "action_open_step_booking_team": Allow(("manager", "manager_other"), SETUP_OWN),
        "action_open_step_booking_services": Allow(("manager", "manager_other"), SETUP_OWN),
        "action_open_step_booking_policy": Allow(("manager", "manager_other"), SETUP_OWN),
        "action_open_step_booking_payment": Allow(("manager", "manager_other"), SETUP_OWN),
        "action_open_step_booking_try": Allow(MANAGER, SETUP_OWN + " (here the other company's page is not ready "
                                                                   "to try: its manager is told what is missing)"),
        "action_open_step_booking_publish": Allow(("manager", "manager_other"), SETUP_OWN),
    },
    "payment.token": {
        "create": Refused("cards are saved by the payment flow (as sudo, for the signed-in or verified payer)"),
    },
    "rating.rating": {
        "create": Refused("a review of a booking is made through the customer's signed link only"),
        "unlink": Refused("reviews of bookings are hidden, not deleted (administrators aside)"),
        "action_booking_publish": Allow(STAFF, "Booking staff of the review's company publish it"),
        "action_booking_unpublish": Allow(STAFF, "Booking staff of the review's company hide it"),
    },
    "ir.sequence": {
        "create": Refused("Odoo's sequences are set up by administrators (Settings), none of these roles; the "
                          "override clears the cached format of bookings' references"),
        "unlink": Refused("Odoo's sequences are set up by administrators (Settings), none of these roles; the "
                          "override clears the cached format of bookings' references"),
    },
    "res.users": {
        "signup": Refused("Odoo's sign-up (auth_signup), run by its route as sudo; through RPC it needs an "
                          "invitation's token, which is the proof"),
    },
    "res.partner": {
        "create": Refused("Odoo's contacts are created by users with Contact Creation rights (none of these "
                          "roles); tried with a customer's e-mail and phone"),
        "action_booking_mark_verified": Allow(STAFF, "any signed-in user marks any contact "
                                                     "verified today; staff of a company that knows the customer "
                                                     "only"),
        "action_booking_merge_same_as": Reads(STAFF, "a visitor's contact belongs to the page's company: opens "
                                                     "Odoo's merge wizard, whose own rights apply"),
        "action_view_booking_appointments": Reads(ANYONE, ACTION),
        "action_view_booking_dependants": Reads(ANYONE, ACTION),
    },
}
# Reasons of the field entries
HOLD = "staff extend or shorten a payment hold of their company's booking"
BILL_TOTAL = "the bill's total, computed from its lines, whose prices staff set anyway"
BUSY_RANGE = (STAFF_SYSTEM + " (the range follows duration and buffers, which staff edit; the exclusion constraint "
              "checks whatever is written)")
BILL_LINE = "staff correct their company's bill: a longer cut, a goodwill price, an add-on"
LINE_TOTAL = "the line's totals, from its price and quantity that staff set anyway"
LINE_COMPANY = STAFF_SYSTEM + " (a copy of the booking's company: written, the line shows in that company)"
POLICY = (MANAGER_SETUP + " (a shared policy, without company, is any company's manager's to edit, as Odoo shares "
          "records)")
PET_DETAILS = PORTAL_PETS + "; staff keep the details of the pets they see"
PET_OWNER = ("staff record whose pet it is and for which merchant (the rule shows them their company's and "
             "their customers' pets)")
WAITLIST_EDIT = "staff edit their company's waitlist entry"
STATE = "a booking changes state through its transitions only (their rules and hooks)"
CONTRACT = "the bill creates the contract; linking another booking's (or company's) money is refused"
LOYALTY_EARNED = "points are earned by completing the visit (written as sudo), never by hand"
LOYALTY_LINE = "any Booking user mints points through a line"
PET_VISITS = "a pet's visits are named by its bookings, never from the pet (it wrote into another company's booking)"
SESSION = "a session is a proof of identity: only the sign-in code flow writes it (staff read sessions)"
MONEY = "money is written by the payment flow only (managers read contracts)"
OUTBOX = "the outbox is written by the code only (managers retry)"
INTAKE = ("set by the code when an online booking is answered first, cleared once completed (else it would "
          "never get its bill, or its messages twice)")
REVIEW = "reviews are written through the customer's signed link; staff reply, publish or hide"

FIELDS = {
    "booking.setup.hours": {
        "break_from": Allow(("manager", "manager_other"), SETUP_WIZARD),
        "break_to": Allow(("manager", "manager_other"), SETUP_WIZARD),
        "has_break": Allow(("manager", "manager_other"), SETUP_WIZARD),
        "line_ids": Allow(("manager", "manager_other"), SETUP_WIZARD),
        "page_id": Allow(("manager", "manager_other"), SETUP_WIZARD),
        "tz": Allow(("manager", "manager_other"), SETUP_WIZARD),
    },
    "booking.setup.hours.line": {
        "dayofweek": Allow(("manager", "manager_other"), SETUP_WIZARD),
        "hour_from": Allow(("manager", "manager_other"), SETUP_WIZARD),
        "hour_to": Allow(("manager", "manager_other"), SETUP_WIZARD),
        "is_open": Allow(("manager", "manager_other"), SETUP_WIZARD),
        "wizard_id": Allow(("manager", "manager_other"), SETUP_WIZARD),
    },
    "booking.setup.payment": {
        "choice": Allow(("manager", "manager_other"), SETUP_WIZARD),
        "page_id": Allow(("manager", "manager_other"), SETUP_WIZARD),
    },
    "booking.setup.policy": {
        "cancel_limit_hours": Allow(("manager", "manager_other"), SETUP_WIZARD),
        "kind": Allow(("manager", "manager_other"), SETUP_WIZARD),
        "no_show_fee_type": Allow(("manager", "manager_other"), SETUP_WIZARD),
        "no_show_fee_value": Allow(("manager", "manager_other"), SETUP_WIZARD),
        "page_id": Allow(("manager", "manager_other"), SETUP_WIZARD),
        "reschedule_limit_hours": Allow(("manager", "manager_other"), SETUP_WIZARD),
    },
    "booking.setup.publish": {
        "name": Allow(MANAGER, SETUP_WIZARD + " (the page's name: its company's manager only)"),
        "page_id": Allow(("manager", "manager_other"), SETUP_WIZARD),
    },
    "booking.setup.services": {
        "line_ids": Allow(("manager", "manager_other"), SETUP_WIZARD),
        "page_id": Allow(("manager", "manager_other"), SETUP_WIZARD),
    },
    "booking.setup.services.line": {
        "deposit_percent": Allow(("manager", "manager_other"), SETUP_WIZARD),
        "duration_minutes": Allow(("manager", "manager_other"), SETUP_WIZARD),
        "has_fixed_deposit": Allow(("manager", "manager_other"), SETUP_WIZARD),
        "name": Allow(("manager", "manager_other"), SETUP_WIZARD),
        "price": Allow(("manager", "manager_other"), SETUP_WIZARD),
        "requires_approval": Allow(("manager", "manager_other"), SETUP_WIZARD),
        "service_id": Allow(("manager", "manager_other"), SETUP_WIZARD),
        "wizard_id": Allow(("manager", "manager_other"), SETUP_WIZARD),
    },
    "booking.setup.team": {
        "line_ids": Allow(("manager", "manager_other"), SETUP_WIZARD),
        "page_id": Allow(("manager", "manager_other"), SETUP_WIZARD),
    },
    "booking.setup.team.line": {
        "job_title": Allow(("manager", "manager_other"), SETUP_WIZARD),
        "name": Allow(("manager", "manager_other"), SETUP_WIZARD),
        "provider_id": Allow(("manager", "manager_other"), SETUP_WIZARD),
        "wizard_id": Allow(("manager", "manager_other"), SETUP_WIZARD),
    },
    "booking.appointment": {
        "address": Allow(STAFF, STAFF_EDIT),
        "approval_deadline": Allow(STAFF, STAFF_SYSTEM),
        "buffer_after_minutes": Allow(STAFF, STAFF_EDIT),
        "buffer_before_minutes": Allow(STAFF, STAFF_EDIT),
        "busy_start": Allow(STAFF, BUSY_RANGE),
        "busy_stop": Allow(STAFF, BUSY_RANGE),
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
        "contract_id": Refused(CONTRACT),
        "creation_pending": Refused(INTAKE),
        "customer_exclusive": Allow(STAFF, STAFF_SYSTEM),
        "duration_minutes": Allow(STAFF, STAFF_EDIT),
        "hold_expires_at": Allow(STAFF, HOLD),
        "loyalty_points_earned": Refused(LOYALTY_EARNED),
        "moved_by": Allow(STAFF, STAFF_SYSTEM),
        "name": Allow(STAFF, STAFF_SYSTEM),
        "note": Allow(STAFF, STAFF_EDIT),
        "partner_id": Allow(STAFF, STAFF_EDIT),
        "pending_since": Allow(STAFF, STAFF_SYSTEM),
        "prepay_full": Allow(STAFF, STAFF_SYSTEM),
        "price": Allow(STAFF, BILL_TOTAL),
        "price_subtotal": Allow(STAFF, BILL_TOTAL),
        "price_tax": Allow(STAFF, BILL_TOTAL),
        "series_id": Allow(STAFF, STAFF_SYSTEM),
        "service_id": Allow(STAFF, STAFF_EDIT),
        "source": Allow(STAFF, STAFF_SYSTEM),
        "start": Allow(STAFF, STAFF_EDIT),
        "state": Refused(STATE),
        "stop": Allow(STAFF, BUSY_RANGE),
        "travel_minutes": Allow(STAFF, STAFF_EDIT),
        "visit_summary": Allow(STAFF, STAFF_EDIT),
        "waitlist_id": Allow(STAFF, STAFF_SYSTEM),
    },
    "booking.appointment.line": {
        "company_id": Allow(STAFF, LINE_COMPANY),
        "loyalty_card_id": Refused(LOYALTY_LINE),
        "loyalty_points_used": Refused(LOYALTY_LINE),
        "loyalty_reward_id": Refused(LOYALTY_LINE),
        "name": Allow(STAFF, BILL_LINE),
        "price_subtotal": Allow(STAFF, LINE_TOTAL),
        "price_tax": Allow(STAFF, LINE_TOTAL),
        "price_total": Allow(STAFF, LINE_TOTAL),
        "price_unit": Allow(STAFF, BILL_LINE),
        "product_id": Allow(STAFF, BILL_LINE),
        "quantity": Allow(STAFF, BILL_LINE),
        "sequence": Allow(STAFF, BILL_LINE),
        "tax_ids": Allow(STAFF, BILL_LINE),
    },
    "booking.appointment.reason.wizard": {
        "action": Allow(ANY_STAFF, WIZARD),
        "appointment_ids": Allow(ANY_STAFF, WIZARD),
        "reason": Allow(ANY_STAFF, WIZARD),
    },
    "booking.assistant": {
        "address": Allow(ANY_STAFF, WIZARD),
        "page_id": Allow(ANY_STAFF, WIZARD),
        "channel": Allow(ANY_STAFF, WIZARD),
        "date": Allow(ANY_STAFF, WIZARD),
        "dependant_ids": Allow(ANY_STAFF, WIZARD),
        "dependant_mode": Allow(ANY_STAFF, WIZARD),
        "note": Allow(ANY_STAFF, WIZARD),
        "partner_id": Allow(ANY_STAFF, WIZARD),
        "provider_id": Allow(ANY_STAFF, WIZARD),
        "searched": Allow(ANY_STAFF, WIZARD),
        "start": Allow(ANY_STAFF, WIZARD),
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
        "active": Allow(MANAGER, POLICY),
        "cancel_limit_hours": Allow(MANAGER, POLICY),
        "company_id": Allow(MANAGER, POLICY),
        "description": Allow(MANAGER, POLICY),
        "name": Allow(MANAGER, POLICY),
        "no_show_fee_value": Allow(MANAGER, POLICY),
        "no_show_grace_minutes": Allow(MANAGER, POLICY),
        "no_show_risk_action": Allow(MANAGER, POLICY),
        "no_show_risk_count": Allow(MANAGER, POLICY),
        "no_show_risk_months": Allow(MANAGER, POLICY),
        "reschedule_limit_hours": Allow(MANAGER, POLICY),
        "sequence": Allow(MANAGER, POLICY),
        "tier_ids": Allow(MANAGER, POLICY),
    },
    "booking.cancellation.policy.tier": {
        "min_notice_hours": Allow(MANAGER, MANAGER_SETUP),
        "refund_percent": Allow(MANAGER, MANAGER_SETUP),
    },
    "booking.checkout": {
        "addon_product_ids": Allow(ANY_STAFF, WIZARD),
        "appointment_id": Allow(ANY_STAFF, WIZARD),
        "discount": Allow(ANY_STAFF, WIZARD),
        "pay_with": Allow(ANY_STAFF, WIZARD),
        "receipt": Allow(ANY_STAFF, WIZARD),
        "tip_amount": Allow(ANY_STAFF, WIZARD),
        "tip_choice": Allow(ANY_STAFF, WIZARD),
    },
    "booking.time.off": {
        "date_from": Allow(ANY_STAFF, WIZARD),
        "date_to": Allow(ANY_STAFF, WIZARD),
        "name": Allow(ANY_STAFF, WIZARD),
        "provider_id": Allow(ANY_STAFF, WIZARD),
    },
    "booking.time.off.conflict": {
        "allowed_provider_ids": Allow(ANY_STAFF, WIZARD),
        "appointment_id": Allow(ANY_STAFF, WIZARD),
        "decision": Allow(ANY_STAFF, WIZARD),
        "new_provider_id": Allow(ANY_STAFF, WIZARD),
        "new_start": Allow(ANY_STAFF, WIZARD),
        "wizard_id": Allow(ANY_STAFF, WIZARD),
    },
    "booking.on.my.way": {
        "appointment_id": Allow(ANY_STAFF, WIZARD),
        "minutes": Allow(ANY_STAFF, WIZARD),
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
        "partner_id": Refused(SESSION),
    },
    "booking.dependant": {
        "active": Allow(OWNER_AND_STAFF, PET_DETAILS),
        "appointment_ids": Refused(PET_VISITS),
        "breed": Allow(OWNER_AND_STAFF, PET_DETAILS),
        "company_id": Allow(STAFF, PET_OWNER),
        "kind": Allow(OWNER_AND_STAFF, PET_DETAILS),
        "medical_notes": Allow(OWNER_AND_STAFF, PET_DETAILS),
        "name": Allow(OWNER_AND_STAFF, PET_DETAILS),
        "partner_id": Allow(STAFF, PET_OWNER),
        "species": Allow(OWNER_AND_STAFF, PET_DETAILS),
        "weight": Allow(OWNER_AND_STAFF, PET_DETAILS),
    },
    "booking.notification": {
        "appointment_id": Refused(OUTBOX),
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
        "notification_rule_ids": Allow(MANAGER, MANAGER_SETUP),
        "provider_ids": Allow(MANAGER, MANAGER_SETUP),
        "rate_limit_count": Allow(MANAGER, MANAGER_SETUP),
        "rate_limit_minutes": Allow(MANAGER, MANAGER_SETUP),
        "receptionist_livechat": Allow(MANAGER, MANAGER_SETUP),
        "receptionist_messages_per_hour": Allow(MANAGER, MANAGER_SETUP),
        "receptionist_quiet_hours": Allow(MANAGER, MANAGER_SETUP),
        "resource_calendar_id": Allow(MANAGER, MANAGER_SETUP),
        "responsible_user_id": Allow(MANAGER, MANAGER_SETUP),
        "reviews_auto_publish": Allow(MANAGER, MANAGER_SETUP),
        "reviews_enabled": Allow(MANAGER, MANAGER_SETUP),
        "reviews_show": Allow(MANAGER, MANAGER_SETUP),
        "sequence": Allow(MANAGER, MANAGER_SETUP),
        "service_ids": Allow(MANAGER, MANAGER_SETUP),
        "show_providers": Allow(MANAGER, MANAGER_SETUP),
        "sms_check_in_words": Allow(MANAGER, MANAGER_SETUP),
        "sync_provider_calendars": Allow(MANAGER, MANAGER_SETUP),
        "twilio_number": Allow(MANAGER, MANAGER_SETUP),
        "tz": Allow(MANAGER, MANAGER_SETUP),
        "waitlist_offer_minutes": Allow(MANAGER, MANAGER_SETUP),
    },
    "booking.payment.contract": {
        "amount_paid": Refused(MONEY),
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
        "lapse_told_until": Allow(STAFF, STAFF_SYSTEM),
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
        "price_per_dependant": Allow(MANAGER, MANAGER_SETUP),
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
        "address": Allow(STAFF, WAITLIST_EDIT),
        "date": Allow(STAFF, WAITLIST_EDIT),
        "name": Allow(STAFF, STAFF_SYSTEM),
        "note": Allow(STAFF, WAITLIST_EDIT),
        "offer_expires_at": Allow(STAFF, STAFF_SYSTEM),
        "offer_provider_id": Allow(STAFF, STAFF_SYSTEM),
        "offer_start": Allow(STAFF, STAFF_SYSTEM),
        "partner_id": Allow(STAFF, WAITLIST_EDIT),
        "provider_id": Allow(STAFF, WAITLIST_EDIT),
        "service_id": Allow(STAFF, WAITLIST_EDIT),
        "source": Allow(STAFF, WAITLIST_EDIT),
        "state": Allow(STAFF, STAFF_SYSTEM),
        "time_from": Allow(STAFF, WAITLIST_EDIT),
        "time_to": Allow(STAFF, WAITLIST_EDIT),
    },
    "rating.rating": {
        "booking_answered_at": Refused(REVIEW),
        "booking_appointment_id": Refused(REVIEW),
        "booking_company_id": Refused(REVIEW),
        "booking_page_id": Refused(REVIEW),
        "booking_provider_id": Refused(REVIEW),
        "booking_service_id": Refused(REVIEW),
    },
}

API = ("the JSON API: no cookies (save_session=False, CORS *), so no CSRF; methods and errors are the API's own "
       "(api_endpoint: JSON 405/4xx)")

ROUTES = {
    "/booking/api/v1": Route(
        "public", None, False, "http", False,
        API + "; unknown paths answer a JSON 404"),
    "/booking/api/v1/<path:rest>": Route(
        "public", None, False, "http", False,
        API + "; unknown paths answer a JSON 404"),
    "/booking/api/v1/me/bookings": Route(
        "public", None, False, "http", False,
        API + "; a customer session's bearer token or 401"),
    "/booking/api/v1/me/bookings/<booking_id:booking_id>": Route(
        "public", None, False, "http", False,
        API + "; bearer token, the session's own booking or 404"),
    "/booking/api/v1/me/bookings/<booking_id:booking_id>/cancel-following": Route(
        "public", None, False, "http", False,
        API + "; bearer token, own series"),
    "/booking/api/v1/me/bookings/<booking_id:booking_id>/slots": Route(
        "public", None, False, "http", False,
        API + "; bearer token, own booking"),
    "/booking/api/v1/me/live": Route(
        "public", None, False, "http", False,
        API + "; bearer token"),
    "/booking/api/v1/me/notification-preferences": Route(
        "public", None, False, "http", False,
        API + "; a customer session's bearer token (a one-time code proved who they are) or 401"),
    "/booking/api/v1/me/session": Route(
        "public", None, False, "http", False,
        API + "; bearer token (DELETE signs out)"),
    "/booking/api/v1/merchant/appointments": Route(
        "public", None, False, "http", False,
        API + "; an Odoo API key, acting with its user's rights"),
    "/booking/api/v1/merchant/appointments/<booking_id:appointment_id>": Route(
        "public", None, False, "http", False,
        API + "; an Odoo API key"),
    "/booking/api/v1/merchant/appointments/<booking_id:appointment_id>/<string:action>": Route(
        "public", None, False, "http", False,
        API + "; an Odoo API key"),
    "/booking/api/v1/openapi.json": Route(
        "public", None, False, "http", True,
        API + "; the API's public description"),
    "/booking/api/v1/pages/<string:slug>": Route(
        "public", None, False, "http", True,
        API + "; a published page's public offer"),
    "/booking/api/v1/pages/<string:slug>/bookings": Route(
        "public", None, False, "http", False,
        API + "; validated at the edge, rate limited, Idempotency-Key"),
    "/booking/api/v1/pages/<string:slug>/reviews": Route(
        "public", None, False, "http", True,
        API + "; the page's published reviews"),
    "/booking/api/v1/pages/<string:slug>/series": Route(
        "public", None, False, "http", False,
        API + "; a signed-in customer (bearer token)"),
    "/booking/api/v1/pages/<string:slug>/series/plan": Route(
        "public", None, False, "http", False,
        API + "; a signed-in customer (bearer token)"),
    "/booking/api/v1/pages/<string:slug>/session": Route(
        "public", None, False, "http", False,
        API + "; asks a sign-in code for a contact detail (rate limited)"),
    "/booking/api/v1/pages/<string:slug>/session/verify": Route(
        "public", None, False, "http", False,
        API + "; the code sent, a few tries"),
    "/booking/api/v1/pages/<string:slug>/slots": Route(
        "public", None, False, "http", True,
        API + "; public availability (GET without a service: 400)"),
    "/booking/api/v1/pages/<string:slug>/waitlist": Route(
        "public", None, False, "http", False,
        API + "; validated at the edge, rate limited"),
    "/booking/approval/<booking_id:appointment_id>/<string:action>/<string:expires>/<string:signature>": Route(
        "public", ("GET", "POST"), False, "http", False,
        "the merchant's signed e-mail link: the HMAC signature is the token, so no CSRF"),
    "/booking/check-in/<booking_id:appointment_id>/<string:signature>": Route(
        "public", ("GET", "POST"), False, "http", False,
        "the QR code's signed link: the signature is the token, so no CSRF"),
    "/booking/check-in/<booking_id:appointment_id>/<string:signature>/qr.png": Route(
        "public", None, True, "http", False,
        "the QR image of a signed link, for e-mails"),
    "/booking/on-my-way/<booking_id:appointment_id>/<string:signature>": Route(
        "public", ("GET", "POST"), False, "http", False,
        "the provider's signed link from the agenda SMS: the signature (booking, provider, customer, start; a "
        "scope of its own) is the token, so no CSRF; opening changes nothing"),
    "/booking/twilio/<string:slug>/sms": Route(
        "public", ("POST",), False, "http", False,
        "Twilio's webhook: X-Twilio-Signature with the page's auth token, or 403"),
    "/booking/twilio/<string:slug>/status": Route(
        "public", ("POST",), False, "http", False,
        "Twilio's delivery reports: signed, or 403"),
    "/booking/waitlist/<booking_id:entry_id>/<booking_id:appointment_id>/<string:signature>": Route(
        "public", ("GET", "POST"), False, "http", False,
        "a waitlist offer's signed link: the signature is the token, so no CSRF"),
    "/my/bookings": Route(
        "user", None, True, "http", False,
        "the signed-in customer's bookings (portal)"),
    "/my/bookings/<booking_id:appointment_id>": Route(
        "public", None, True, "http", False,
        "a booking: its owner signed in, or its access token (a link grants that booking)"),
    "/my/bookings/<booking_id:appointment_id>/cancel": Route(
        "public", ("GET", "POST"), True, "http", False,
        "owner or access token; POST with the CSRF token"),
    "/my/bookings/<booking_id:appointment_id>/cancel-following": Route(
        "user", ("GET", "POST"), True, "http", False,
        "the signed-in owner of the series"),
    "/my/bookings/<booking_id:appointment_id>/loyalty": Route(
        "public", ("POST",), True, "http", False,
        "the signed-in owner spends their points"),
    "/my/bookings/<booking_id:appointment_id>/repeat": Route(
        "user", ("GET", "POST"), True, "http", False,
        "the signed-in owner repeats their booking"),
    "/my/bookings/<booking_id:appointment_id>/repeat/book": Route(
        "user", ("POST",), True, "http", False,
        "the signed-in owner repeats their booking"),
    "/my/series/<booking_id:series_id>": Route(
        "public", None, True, "http", False,
        "the series' signed-in customer or its own signed link; anyone else (one visit's link too) goes to /my"),
    "/my/series/<booking_id:series_id>/transaction": Route(
        "public", None, True, "json", False,
        "the series' payment: its signed-in customer or its own signed link, else 'The access token is invalid.'"),
    "/my/bookings/<booking_id:appointment_id>/reschedule": Route(
        "public", ("GET", "POST"), True, "http", False,
        "owner or access token; POST with the CSRF token"),
    "/my/bookings/<booking_id:appointment_id>/tip": Route(
        "public", ("POST",), True, "http", False,
        "owner or access token; POST with the CSRF token"),
    "/my/bookings/<booking_id:appointment_id>/transaction/<string:kind>": Route(
        "public", None, True, "json", False,
        "the payment form's JSON-RPC: access token required"),
    "/my/bookings/cards/<booking_id:token_id>/default": Route(
        "user", ("POST",), True, "http", False,
        "the signed-in customer's own card"),
    "/my/bookings/page/<int(max=100000):pager_page>": Route(
        "user", None, True, "http", False,
        "the signed-in customer's bookings (portal)"),
    "/my/bookings/payments": Route(
        "user", None, True, "http", False,
        "the signed-in customer's payments"),
    "/my/dependants": Route(
        "user", None, True, "http", False,
        "the signed-in customer's pets and family"),
    "/my/dependants/<booking_id:dependant_id>": Route(
        "user", ("GET", "POST"), True, "http", False,
        "the signed-in customer's own dependant"),
    "/my/dependants/<booking_id:dependant_id>/archive": Route(
        "user", ("POST",), True, "http", False,
        "the signed-in customer's own dependant"),
    "/my/notifications": Route(
        "user", ("GET", "POST"), True, "http", False,
        "the signed-in customer's own notification preferences (their contact, no other)"),
    "/my/dependants/new": Route(
        "user", ("GET", "POST"), True, "http", False,
        "the signed-in customer adds a dependant"),
    "/p/<string:slug>": Route(
        "public", None, True, "http", True,
        "the published booking page"),
    "/p/<string:slug>/booking/<booking_id:appointment_id>": Route(
        "public", None, True, "http", False,
        "a booking's confirmation: its access token"),
    "/p/<string:slug>/booking/<booking_id:appointment_id>/ics": Route(
        "public", None, True, "http", False,
        "a booking's calendar file: its access token"),
    "/p/<string:slug>/booking/<booking_id:appointment_id>/invite": Route(
        "public", ("POST",), True, "http", False,
        "account invitation for a booking: its access token, CSRF"),
    "/p/<string:slug>/image/<string:kind>/<booking_id:record_id>": Route(
        "public", None, True, "http", True,
        "public images of the page's services and providers"),
    "/p/<string:slug>/review/<booking_id:appointment_id>/<string:signature>": Route(
        "public", ("GET", "POST"), False, "http", False,
        "the review request's signed link: the signature is the token, so no CSRF"),
}
