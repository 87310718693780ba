/** @odoo-module **/
/**
 * The reschedule page's picker without reloading the page: a day, a month or "Anyone free" fetches the
 * same page for that choice and puts its picker in place of this one, then moves the focus to what
 * changed (the day's times, or the control that was pressed) and scrolls it into view. A page that
 * reloaded put a phone back at the top, above the calendar, with the times out of sight.
 *
 * Without JavaScript the links still work: they reload the page at the times (#o_booking_reschedule_times).
 */
import publicWidget from "@web/legacy/js/public/public_widget";
import { revealBelowHeader } from "@self_serve_booking/public/reveal";

publicWidget.registry.BookingReschedulePicker = publicWidget.Widget.extend({
    selector: ".o_booking_reschedule_page",
    events: {
        "click .o_booking_reschedule_picker a.o_booking_reschedule_day": "_onPick",
        "click .o_booking_reschedule_picker a.o_booking_reschedule_prev_month": "_onPick",
        "click .o_booking_reschedule_picker a.o_booking_reschedule_next_month": "_onPick",
        "click .o_booking_reschedule_picker .o_booking_provider_choice a": "_onPick",
    },

    async _onPick(ev) {
        if (ev.button || ev.metaKey || ev.ctrlKey || ev.shiftKey || ev.altKey) {
            return; // a new tab or window: the browser's
        }
        ev.preventDefault();
        const link = ev.currentTarget;
        const url = link.href;
        if (this.loading) {
            return;
        }
        this.loading = true;
        const picker = this.el.querySelector(".o_booking_reschedule_picker");
        picker.setAttribute("aria-busy", "true");
        let fresh = null;
        try {
            const response = await fetch(url, { credentials: "same-origin", headers: { Accept: "text/html" } });
            if (response.ok && !response.redirected) {
                const doc = new DOMParser().parseFromString(await response.text(), "text/html");
                fresh = doc.querySelector(".o_booking_reschedule_page .o_booking_reschedule_picker");
            }
        } catch {
            fresh = null;
        } finally {
            this.loading = false;
        }
        if (!fresh) {
            window.location.assign(url); // offline, refused or changed: the page itself says what happened
            return;
        }
        picker.replaceWith(fresh);
        window.history.replaceState(window.history.state, "", url.split("#")[0]);
        this._focusAfter(link, fresh);
    },

    /** The day's times after a day; after a month or "who", the same control, else the month's title. */
    _focusAfter(link, picker) {
        let target = null;
        let shown = null;
        if (link.classList.contains("o_booking_reschedule_day")) {
            target = picker.querySelector("#o_booking_reschedule_times_title");
            shown = picker.querySelector(".o_booking_reschedule_times");
        } else {
            const kind = ["o_booking_reschedule_prev_month", "o_booking_reschedule_next_month",
                "o_booking_any_provider_toggle"].find((name) => link.classList.contains(name));
            target = kind ? picker.querySelector(`.${kind}`) : picker.querySelector(".o_booking_provider_choice a:not(.o_booking_any_provider_toggle)");
            shown = picker.querySelector(".o_booking_reschedule_month");
        }
        target = target || picker.querySelector("#o_booking_reschedule_month_title");
        if (target) {
            if (!target.matches("a, button")) {
                target.setAttribute("tabindex", "-1");
            }
            target.focus({ preventScroll: true });
        }
        if (shown || target) {
            revealBelowHeader(shown || target);
        }
    },
});
