from . import controllers
from . import models
from . import report
from . import wizard


def uninstall_hook(env):
    """What the addon made outside Odoo's models: the page's offer function (``booking.availability.init``)."""
    env.cr.execute("DROP FUNCTION IF EXISTS booking_page_offer(integer, timestamp, timestamp)")
