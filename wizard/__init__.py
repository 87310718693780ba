from . import booking_appointment_reason_wizard
from . import booking_booking_wizard
from . import booking_booking_wizard_slot
from . import booking_refund_wizard
