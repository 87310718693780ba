from . import api
from . import main
from . import merchant_api
from . import portal
from . import portal_dependants
from . import portal_series
from . import twilio
