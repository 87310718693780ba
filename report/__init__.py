from . import booking_conversation_report
from . import booking_report
