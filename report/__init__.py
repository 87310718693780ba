from . import booking_report
