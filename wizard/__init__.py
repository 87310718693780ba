from . import account_payment_register
from . import base_partner_merge
from . import booking_appointment_reason_wizard
from . import booking_assistant
from . import booking_assistant_day_sheet
from . import booking_assistant_slot
from . import booking_checkout
from . import booking_counter_payment
from . import booking_on_my_way
from . import booking_refund_wizard
from . import booking_series_wizard
from . import booking_setup_step
from . import booking_time_off

# isort: split
from . import booking_setup_hours
from . import booking_setup_payment
from . import booking_setup_policy
from . import booking_setup_publish
from . import booking_setup_services
from . import booking_setup_team
