/** @odoo-module **/
/* global luxon */
import { registry } from "@web/core/registry";

const ZONE = "Europe/Brussels";

/** Type a value in an <input type="time"> the way a browser's picker does. */
function setTime(value) {
    return function () {
        this.anchor.value = value;
        this.anchor.dispatchEvent(new Event("input", { bubbles: true }));
        this.anchor.dispatchEvent(new Event("change", { bubbles: true }));
    };
}

/** A guest books with "Any available" from the public page to the confirmation page. */
registry.category("web_tour.tours").add("self_serve_booking_guest_books_any", {
    url: "/p/tour-spa",
    steps: () => [
        {
            content: "Choose the service",
            trigger: ".o_booking_service_option:contains('Tour Massage')",
            run: "click",
        },
        {
            content: "Any available provider",
            trigger: ".o_booking_provider_any",
            run: "click",
        },
        {
            content: "A day with free times",
            trigger: ".o_booking_day_available",
            run: "click",
        },
        {
            content: "The first free time",
            trigger: ".o_booking_time",
            run: "click",
        },
        {
            content: "The summary says who: any available got a name",
            trigger: ".o_booking_summary:contains('With Tour')",
        },
        { trigger: "#booking_name", run: "edit Tess Tourist" },
        { trigger: "#booking_email", run: "edit tess.tourist@example.com" },
        { trigger: "#booking_phone", run: "edit +32 470 12 34 56" },
        {
            content: "Confirm",
            trigger: ".o_booking_submit",
            run: "click",
        },
        {
            content: "The confirmation page shows the reference and the state",
            trigger: ".o_booking_confirmation .o_booking_state[data-state='confirmed']",
        },
        {
            content: "Add to my calendar: Google, Outlook or an .ics file",
            trigger: ".o_booking_add_to_calendar button",
            run: "click",
        },
        {
            trigger: ".o_booking_confirmation a.o_booking_ics_link[href*='/ics?access_token=']",
        },
        {
            trigger: ".o_booking_confirmation a.o_booking_google_link[href^='https://calendar.google.com/']",
        },
    ],
});

/** A visitor finds no free time on a day and joins the waitlist. */
registry.category("web_tour.tours").add("self_serve_booking_waitlist", {
    url: "/p/tour-full",
    steps: () => {
        const fullDay = luxon.DateTime.now().setZone(ZONE).plus({ days: 2 }).toISODate();
        return [
            {
                content: "Choose the service",
                trigger: ".o_booking_service_option:contains('Tour Massage')",
                run: "click",
            },
            {
                content: "The calendar is shown",
                trigger: ".o_booking_calendar",
                run() {
                    if (!document.querySelector(`.o_booking_day[data-date='${fullDay}']`)) {
                        document.querySelector(".o_booking_next_month").click();
                    }
                },
            },
            {
                content: "The fully booked day",
                trigger: `.o_booking_day.o_booking_day_full[data-date='${fullDay}']`,
                run: "click",
            },
            {
                content: "No free time: offered the waitlist",
                trigger: ".o_booking_day_is_full .o_booking_join_waitlist",
                run: "click",
            },
            { trigger: "#booking_wl_from", run: setTime("10:00") },
            { trigger: "#booking_wl_to", run: setTime("15:00") },
            { trigger: "#booking_name", run: "edit Wanda Waiting" },
            { trigger: "#booking_email", run: "edit wanda@example.com" },
            {
                content: "Join",
                trigger: ".o_booking_waitlist_submit",
                run: "click",
            },
            {
                content: "On the waitlist",
                trigger: ".o_booking_waitlist_done:contains('on the waitlist')",
            },
        ];
    },
});

/**
 * Live availability: a time booked by someone else disappears from an open
 * page without a reload. The widget neither polls nor reloads here, so only
 * the bus notification can remove the time.
 */
registry.category("web_tour.tours").add("self_serve_booking_live_availability", {
    url: "/p/tour-full",
    steps: () => [
        {
            content: "Choose the service (one provider: no provider step)",
            trigger: ".o_booking_service_option:contains('Tour Massage')",
            run: "click",
        },
        {
            content: "A day with free times",
            trigger: ".o_booking_day_available",
            run: "click",
        },
        {
            content: "Someone else books the first time shown, through the API",
            trigger: ".o_booking_time",
            async run() {
                const button = document.querySelector(".o_booking_time");
                button.setAttribute("data-tour-taken", "1");
                const response = await fetch("/booking/api/v1/pages/tour-full/bookings", {
                    method: "POST",
                    headers: { "Content-Type": "application/json" },
                    body: JSON.stringify({
                        service_id: Number(document.querySelector(".o_booking_widget").dataset.serviceId),
                        provider_id: null,
                        start: button.dataset.start,
                        customer: { name: "Someone Else", email: "someone.else@example.com" },
                    }),
                });
                if (response.status !== 201) {
                    throw new Error(`the other booking failed: ${response.status}`);
                }
            },
        },
        {
            content: "The taken time is gone from this page, without a reload",
            trigger: ".o_booking_step_time:not(:has([data-tour-taken]))",
        },
    ],
});

/** A guest books a service with a deposit and pays it with the demo provider. */
registry.category("web_tour.tours").add("self_serve_booking_deposit", {
    url: "/p/tour-spa",
    steps: () => [
        {
            content: "Choose the service with a deposit",
            trigger: ".o_booking_service_option:contains('Tour Deposit Facial')",
            run: "click",
        },
        { trigger: ".o_booking_provider_any", run: "click" },
        { trigger: ".o_booking_day_available", run: "click" },
        { trigger: ".o_booking_time", run: "click" },
        {
            content: "The summary announces the deposit",
            trigger: ".o_booking_summary:contains('deposit now')",
        },
        { trigger: "#booking_name", run: "edit Pat Payer" },
        { trigger: "#booking_email", run: "edit pat.payer@example.com" },
        {
            content: "Continue to the deposit",
            trigger: ".o_booking_submit:contains('deposit')",
            run: "click",
        },
        {
            content: "The confirmation page shows Odoo's payment form for the deposit",
            trigger: ".o_booking_payment_form[data-kind='deposit'] #o_payment_form",
        },
        { trigger: "#customer_input", run: "edit 4242" },
        {
            content: "Pay with the demo provider",
            trigger: "button[name='o_payment_submit_button']",
            run: "click",
        },
        {
            content: "Back on the confirmation page, booked",
            trigger: ".o_booking_confirmation .o_booking_state[data-state='confirmed']",
        },
    ],
});

/** A portal customer cancels a booking, seeing the refund before confirming. */
registry.category("web_tour.tours").add("self_serve_booking_portal_cancel", {
    url: "/my/bookings",
    steps: () => [
        { content: "Open the booking", trigger: ".o_booking_row a", run: "click" },
        { content: "Cancel it", trigger: ".o_booking_cancel_link", run: "click" },
        {
            content: "The refund is shown before anything happens",
            trigger: ".o_booking_refund_preview:contains('40.00')",
        },
        { trigger: "#cancel_reason", run: "edit Something came up" },
        { content: "Confirm", trigger: ".o_booking_cancel_confirm", run: "click" },
        {
            content: "Cancelled, refund on its way",
            trigger: ".o_booking_portal_message:contains('refunded')",
        },
        { trigger: ".o_booking_portal_page[data-state='cancelled']" },
    ],
});

/** A portal customer moves a booking to another time. */
registry.category("web_tour.tours").add("self_serve_booking_portal_reschedule", {
    url: "/my/bookings",
    steps: () => [
        { content: "Open the booking", trigger: ".o_booking_row a", run: "click" },
        { content: "Change the time", trigger: ".o_booking_reschedule_link", run: "click" },
        {
            content: "Another day",
            trigger: ".o_booking_reschedule_day:not(.btn-primary)",
            run: "click",
        },
        { content: "A time that day", trigger: ".o_booking_reschedule_time", run: "click" },
        {
            content: "Nothing moved yet: the change is shown to confirm",
            trigger: ".o_booking_reschedule_confirm:contains('Move your booking?') .o_booking_reschedule_to",
        },
        { content: "Confirm the move", trigger: ".o_booking_reschedule_confirm_button", run: "click" },
        {
            content: "Moved",
            trigger: ".o_booking_portal_message:contains('moved to')",
        },
        { trigger: ".o_booking_portal_page[data-state='confirmed']" },
    ],
});

/** A returning customer, not signed in, proves who they are with a code and books as themselves. */
registry.category("web_tour.tours").add("self_serve_booking_returning_customer_code", {
    url: "/p/tour-spa",
    steps: () => [
        {
            content: "Choose the service",
            trigger: ".o_booking_service_option:contains('Tour Massage')",
            run: "click",
        },
        { trigger: ".o_booking_provider_any", run: "click" },
        { trigger: ".o_booking_day_available", run: "click" },
        { trigger: ".o_booking_time", run: "click" },
        {
            content: "Booked before? Confirm it's you",
            trigger: ".o_booking_verify_open",
            run: "click",
        },
        { trigger: "#booking_verify_email", run: "edit rita.regular@example.com" },
        { trigger: ".o_booking_verify_send:enabled", run: "click" },
        {
            content: "The code is on its way (the answer never says whether the address is known)",
            trigger: ".o_booking_verify_message:contains('is on its way')",
        },
        { trigger: "#booking_verify_code", run: "edit 424242" },
        { trigger: ".o_booking_verify_check:enabled", run: "click" },
        {
            content: "Booking as the known customer, details filled in from their contact",
            trigger: ".o_booking_verified:contains('Rita Regular')",
        },
        {
            trigger: "#booking_phone[readonly]",
            run() {
                if (this.anchor.value.replace(/\s/g, "") !== "+32470998877") {
                    throw new Error(`the phone on file is shown, not ${this.anchor.value}`);
                }
            },
        },
        { trigger: ".o_booking_submit", run: "click" },
        {
            content: "Booked",
            trigger: ".o_booking_confirmation .o_booking_state[data-state='confirmed']",
        },
    ],
});

/** On a phone: a guest books with a deposit; the payment comes first, then the money summary. */
registry.category("web_tour.tours").add("self_serve_booking_phone_deposit", {
    url: "/p/tour-spa",
    steps: () => [
        {
            content: "Book now jumps to the booking card",
            trigger: "a[href='#booking']",
            run: "click",
        },
        {
            content: "Choose the service with a deposit",
            trigger: ".o_booking_service_option:contains('Tour Deposit Facial')",
            run: "click",
        },
        { trigger: ".o_booking_provider_any", run: "click" },
        { trigger: ".o_booking_day_available", run: "click" },
        { trigger: ".o_booking_time", run: "click" },
        { trigger: "#booking_name", run: "edit Phil Phone" },
        { trigger: "#booking_email", run: "edit phil.phone@example.com" },
        { trigger: ".o_booking_submit:contains('deposit')", run: "click" },
        {
            content: "Nothing to leave with before paying: no calendar, no manage link above the payment",
            trigger: ".o_booking_payment_form[data-kind='deposit'] #o_payment_form",
            run() {
                if (document.querySelector(".o_booking_ics_link, .o_booking_manage_link")) {
                    throw new Error("calendar or manage links shown before the deposit is paid");
                }
                const form = this.anchor.getBoundingClientRect();
                if (form.top > window.innerHeight * 2) {
                    throw new Error(`the payment form starts ${Math.round(form.top)}px down a ${window.innerHeight}px screen`);
                }
            },
        },
        {
            content: "The money summary says what is paid now and what at the visit",
            trigger: ".o_booking_money_headline:contains('deposit to secure your time')",
        },
        {
            content: "The hold shows its deadline with the time zone, and a countdown",
            trigger: ".o_booking_hold .o_booking_hold_countdown:contains('left')",
        },
        { trigger: "#customer_input", run: "edit 4242" },
        { trigger: "button[name='o_payment_submit_button']", run: "click" },
        {
            content: "Booked; the summary says the deposit is paid and the rest is due at the visit",
            trigger: ".o_booking_confirmation .o_booking_money_headline:contains('paid')",
        },
        { trigger: ".o_booking_confirmation .o_booking_money_at_visit" },
        { trigger: ".o_booking_confirmation .o_booking_state[data-state='confirmed']" },
    ],
});
