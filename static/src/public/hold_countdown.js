/** @odoo-module **/
/**
 * A held booking's countdown: "Your time is held until 14:08 CET (12:34 left)".
 * When the hold runs out the notice says so, instead of letting the customer
 * pay for a time that may have gone to someone else.
 */
import publicWidget from "@web/legacy/js/public/public_widget";
import { _t } from "@web/core/l10n/translation";

publicWidget.registry.BookingHoldCountdown = publicWidget.Widget.extend({
    selector: ".o_booking_hold[data-deadline]",

    start() {
        this.deadline = Date.parse(this.el.dataset.deadline);
        this.output = this.el.querySelector(".o_booking_hold_countdown");
        if (!Number.isNaN(this.deadline) && this.output) {
            this.tick();
            this.interval = setInterval(() => this.tick(), 1000);
        }
        return this._super(...arguments);
    },

    destroy() {
        clearInterval(this.interval);
        this._super(...arguments);
    },

    tick() {
        const left = Math.max(0, Math.round((this.deadline - Date.now()) / 1000));
        if (!left) {
            clearInterval(this.interval);
            this.el.classList.add("text-danger");
            this.output.textContent = _t(" — the hold has expired: reload the page to see whether the time is still free");
            return;
        }
        const minutes = Math.floor(left / 60);
        const seconds = String(left % 60).padStart(2, "0");
        // announced to screen readers once a minute, not every second
        this.output.setAttribute("aria-live", left % 60 === 0 ? "polite" : "off");
        this.output.textContent = _t(" (%(minutes)s:%(seconds)s left)", { minutes, seconds });
    },
});
