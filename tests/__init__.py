from . import test_availability
from . import test_configuration
from . import test_constraint
from . import test_lifecycle
from . import test_manual_booking
from . import test_security
