/** @odoo-module **/
import { registry } from "@web/core/registry";
import {
    CONFIRMED,
    chooseService,
    click,
    contact,
    edit,
    firstFreeTime,
    fullDay,
    payWithDemo,
    see,
    showMonthOf,
    step,
} from "@self_serve_booking/../tests/tours/tour_steps";

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
        chooseService("Tour Massage", "Choose the service"),
        ...firstFreeTime(["Any available provider", "A day with free times", "The first free time"]),
        see(".o_booking_summary:contains('With any available provider')",
            "The summary: whoever is free then is assigned when booking"),
        ...contact("Tess Tourist", "tess.tourist@example.com", "+32 470 12 34 56"),
        click(".o_booking_submit", "Confirm"),
        see(CONFIRMED, "The confirmation page shows the reference and the state"),
        see(".o_booking_confirmation:contains('With Tour')", "The confirmation says who: any available got a name"),
        click(".o_booking_add_to_calendar button", "Add to my calendar: Google, Outlook or an .ics file"),
        see(".o_booking_confirmation a.o_booking_ics_link[href*='/ics?access_token=']"),
        see(".o_booking_confirmation a.o_booking_google_link[href^='https://calendar.google.com/']"),
    ],
});

/** A visitor finds no free time on a day and joins the waitlist. */
registry.category("web_tour.tours").add("self_serve_booking_waitlist", {
    url: "/p/tour-full",
    steps: () => {
        const day = fullDay();
        return [
            chooseService("Tour Massage", "Choose the service"),
            showMonthOf(day, ".o_booking_calendar", "The calendar is shown"),
            click(`.o_booking_day.o_booking_day_full[data-date='${day}']`, "The fully booked day"),
            click(".o_booking_day_is_full .o_booking_join_waitlist", "No free time: offered the waitlist"),
            step("#booking_wl_from", setTime("10:00")),
            step("#booking_wl_to", setTime("15:00")),
            ...contact("Wanda Waiting", "wanda@example.com"),
            click(".o_booking_waitlist_submit", "Join"),
            see(".o_booking_waitlist_done:contains('on the waitlist')", "On the waitlist"),
        ];
    },
});

/** For a job at their address, the visitor joining the waitlist gives the address an offer is booked at. */
registry.category("web_tour.tours").add("self_serve_booking_waitlist_at_home", {
    url: "/p/tour-full",
    steps: () => {
        const day = fullDay();
        return [
            chooseService("Tour House Call", "Choose the service at your address"),
            showMonthOf(day, ".o_booking_calendar", "The calendar is shown"),
            click(`.o_booking_day.o_booking_day_full[data-date='${day}']`, "The fully booked day"),
            click(".o_booking_day_is_full .o_booking_join_waitlist", "No free time: offered the waitlist"),
            ...contact("Hugo Home", "hugo@example.com"),
            edit("#booking_address", "12 Rue Haute, 1000 Brussels"),
            click(".o_booking_waitlist_submit", "Join"),
            see(".o_booking_waitlist_done:contains('on the waitlist')", "On the waitlist"),
        ];
    },
});

/** Books the first time shown, as someone else through the API, and marks its button. */
async function bookItElsewhere() {
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
}

/**
 * Live availability: a time booked by someone else disappears from an open
 * page without a reload. The widget neither polls nor reloads here, so only
 * the bus notification can remove the time.
 */
registry.category("web_tour.tours").add("self_serve_booking_live_availability", {
    url: "/p/tour-full",
    steps: () => [
        chooseService("Tour Massage", "Choose the service (one provider: no provider step)"),
        click(".o_booking_day_available", "A day with free times"),
        step(".o_booking_time", bookItElsewhere, "Someone else books the first time shown, through the API"),
        see(
            ".o_booking_step_time:not(:has([data-tour-taken]))",
            "The taken time is gone from this page, without a reload"
        ),
    ],
});

/** A guest books a service with a deposit and pays it with the demo provider. */
registry.category("web_tour.tours").add("self_serve_booking_deposit", {
    url: "/p/tour-spa",
    steps: () => [
        chooseService("Tour Deposit Facial", "Choose the service with a deposit"),
        ...firstFreeTime(),
        see(".o_booking_summary:contains('deposit now')", "The summary announces the deposit"),
        ...contact("Pat Payer", "pat.payer@example.com"),
        click(".o_booking_submit:contains('deposit')", "Continue to the deposit"),
        see(
            ".o_booking_payment_form[data-kind='deposit'] #o_payment_form",
            "The confirmation page shows Odoo's payment form for the deposit"
        ),
        ...payWithDemo("Pay with the demo provider"),
        see(CONFIRMED, "Back on the confirmation page, booked"),
    ],
});

/** A portal customer cancels a booking, seeing the refund before confirming. */
registry.category("web_tour.tours").add("self_serve_booking_portal_cancel", {
    url: "/my/bookings",
    steps: () => [
        click(".o_booking_row a", "Open the booking"),
        click(".o_booking_cancel_link", "Cancel it"),
        see(".o_booking_refund_preview:contains('40.00')", "The refund is shown before anything happens"),
        edit("#cancel_reason", "Something came up"),
        click(".o_booking_cancel_confirm", "Confirm"),
        see(".o_booking_portal_message:contains('refunded')", "Cancelled, refund on its way"),
        see(".o_booking_portal_page[data-state='cancelled']"),
        see("#chatterRoot:shadow .o-mail-Chatter", "The booking's conversation has loaded (the tour ends after it)"),
    ],
});

/** A portal customer moves a booking to another time. */
registry.category("web_tour.tours").add("self_serve_booking_portal_reschedule", {
    url: "/my/bookings",
    steps: () => [
        click(".o_booking_row a", "Open the booking"),
        click(".o_booking_reschedule_link", "Change the time"),
        click(".o_booking_reschedule_day:not(.btn-primary)", "Another day"),
        click(".o_booking_reschedule_time", "A time that day"),
        see(
            ".o_booking_reschedule_confirm:contains('Move your booking?') .o_booking_reschedule_to",
            "Nothing moved yet: the change is shown to confirm"
        ),
        click(".o_booking_reschedule_confirm_button", "Confirm the move"),
        see(".o_booking_portal_message:contains('moved to')", "Moved"),
        see(".o_booking_portal_page[data-state='confirmed']"),
        see("#chatterRoot:shadow .o-mail-Chatter", "The booking's conversation has loaded (the tour ends after it)"),
    ],
});

/** The phone on file, shown read-only to the proven customer. */
function phoneOnFile() {
    if (this.anchor.value.replace(/\s/g, "") !== "+32470998877") {
        throw new Error(`the phone on file is shown, not ${this.anchor.value}`);
    }
}

/** A returning customer, not signed in, proves who they are with a code and books as themselves. */
registry.category("web_tour.tours").add("self_serve_booking_returning_customer_code", {
    url: "/p/tour-spa",
    steps: () => [
        chooseService("Tour Massage", "Choose the service"),
        ...firstFreeTime(),
        click(".o_booking_verify_open", "Booked before? Confirm it's you"),
        edit("#booking_verify_email", "rita.regular@example.com"),
        click(".o_booking_verify_send:enabled"),
        see(
            ".o_booking_verify_message:contains('is on its way')",
            "The code is on its way (the answer never says whether the address is known)"
        ),
        edit("#booking_verify_code", "424242"),
        click(".o_booking_verify_check:enabled"),
        see(
            ".o_booking_verified:contains('Rita Regular')",
            "Booking as the known customer, details filled in from their contact"
        ),
        step("#booking_phone[readonly]", phoneOnFile),
        click(".o_booking_submit"),
        see(CONFIRMED, "Booked"),
    ],
});

/** Nothing to leave with before paying (no calendar, no manage link), and the payment form near the top. */
function paymentFormFirst() {
    if (document.querySelector(".o_booking_ics_link, .o_booking_manage_link")) {
        throw new Error("calendar or manage links shown before the deposit is paid");
    }
    const form = this.anchor.getBoundingClientRect();
    if (form.top > window.innerHeight * 2) {
        throw new Error(`the payment form starts ${Math.round(form.top)}px down a ${window.innerHeight}px screen`);
    }
}

/** On a phone: a guest books with a deposit; the payment comes first, then the money summary. */
registry.category("web_tour.tours").add("self_serve_booking_phone_deposit", {
    url: "/p/tour-spa",
    steps: () => [
        click("a[href='#booking']", "Book now jumps to the booking card"),
        chooseService("Tour Deposit Facial", "Choose the service with a deposit"),
        ...firstFreeTime(),
        ...contact("Phil Phone", "phil.phone@example.com"),
        click(".o_booking_submit:contains('deposit')"),
        step(
            ".o_booking_payment_form[data-kind='deposit'] #o_payment_form",
            paymentFormFirst,
            "Nothing to leave with before paying: no calendar, no manage link above the payment"
        ),
        see(
            ".o_booking_money_headline:contains('deposit to secure your time')",
            "The money summary says what is paid now and what at the visit"
        ),
        see(
            ".o_booking_hold .o_booking_hold_countdown:contains('left')",
            "The hold shows its deadline with the time zone, and a countdown"
        ),
        ...payWithDemo(),
        see(
            ".o_booking_confirmation .o_booking_money_headline:contains('paid')",
            "Booked; the summary says the deposit is paid and the rest is due at the visit"
        ),
        see(".o_booking_confirmation .o_booking_money_at_visit"),
        see(CONFIRMED),
    ],
});
