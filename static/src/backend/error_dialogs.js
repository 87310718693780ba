/** @odoo-module **/
/**
 * The booking domain's refusals (a taken time, a move outside working hours,
 * a refused transition) are Odoo UserError/ValidationError subclasses with
 * names of their own. The web client picks an error dialog by the exception's
 * name, so without these entries a clean refusal shows as the "Oops" crash
 * dialog with a traceback. They get the warning dialog of their parents.
 */
import { _t } from "@web/core/l10n/translation";
import { registry } from "@web/core/registry";
import { odooExceptionTitleMap, WarningDialog } from "@web/core/errors/error_dialogs";

const PREFIX = "odoo.addons.self_serve_booking.exceptions.";
const TITLES = {
    SlotUnavailableError: _t("Time not available"),
    BookingInputError: _t("Validation Error"),
    LoginRequiredError: _t("Sign-in required"),
    BookingActionRefused: _t("Not possible"),
    IdempotencyKeyReused: _t("Invalid Operation"),
};

const dialogs = registry.category("error_dialogs");
for (const [name, title] of Object.entries(TITLES)) {
    dialogs.add(PREFIX + name, WarningDialog);
    odooExceptionTitleMap.set(PREFIX + name, title);
}
