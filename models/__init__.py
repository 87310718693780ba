# The mixins first: the models below inherit them.
from . import booking_calendar_sync
from . import booking_lock_mixin
from . import booking_notification_mixin
from . import booking_signed_link_mixin

# isort: split
from . import account_move
from . import account_payment
from . import booking_appointment

# isort: split
# booking.appointment's layers, each extending the core through its hooks
from . import booking_appointment_account
from . import booking_appointment_approval
from . import booking_appointment_bill
from . import booking_appointment_calendar
from . import booking_appointment_check_in
from . import booking_appointment_conversation
from . import booking_appointment_dependant
from . import booking_appointment_intake
from . import booking_appointment_live
from . import booking_appointment_loyalty
from . import booking_appointment_notification
from . import booking_appointment_on_my_way
from . import booking_appointment_on_site
from . import booking_appointment_online
from . import booking_appointment_preview
from . import booking_appointment_reference
from . import booking_appointment_review
from . import booking_appointment_self_service
from . import booking_appointment_series
from . import booking_appointment_visit
from . import booking_appointment_waitlist

# isort: split
from . import booking_appointment_line
from . import booking_availability
from . import booking_cancellation_policy
from . import booking_cancellation_policy_tier
from . import booking_conversation
from . import booking_conversation_turn
from . import booking_customer_session
from . import booking_day_sheet
from . import booking_dependant
from . import booking_idempotency_key
from . import booking_notification
from . import booking_notification_on_my_way
from . import booking_notification_rule
from . import booking_page
from . import booking_page_notification
from . import booking_payment_contract
from . import booking_payment_contract_check
from . import booking_payment_contract_receipt
from . import booking_payment_contract_refund
from . import booking_payment_contract_series
from . import booking_provider
from . import booking_rate_limit
from . import booking_scheduler
from . import booking_scheduler_failure
from . import booking_serial_lock
from . import booking_series
from . import booking_service
from . import booking_sms
from . import booking_sms_opt_out
from . import booking_waitlist
from . import chatbot_script
from . import chatbot_script_step
from . import ir_http
from . import ir_qweb
from . import ir_sequence
from . import ir_websocket
from . import payment_provider
from . import payment_token
from . import payment_transaction
from . import payment_transaction_series
from . import rating_rating
from . import res_partner
from . import res_partner_notification
from . import res_users
from . import resource_calendar_leaves

# isort: split
# The guided setup: a layer over the page and Odoo's onboarding.
from . import booking_onboarding
