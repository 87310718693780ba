/** @odoo-module **/
import { registry } from "@web/core/registry";

function pick(field, text) {
    return [
        { content: `Type in ${field}`, trigger: `.modal div[name='${field}'] input`, run: `edit ${text}` },
        { content: `Choose ${text}`, trigger: `ul.ui-autocomplete a:contains(${text})`, run: "click" },
        {
            content: `${field} keeps ${text}`,
            trigger: `.modal div[name='${field}'] input:value(${text})`,
        },
    ];
}

/** Staff book a phone call through the assistant's form: choices stay, free times, one click books. */
registry.category("web_tour.tours").add("self_serve_booking_assistant_phone_call", {
    url: "/odoo/action-self_serve_booking.booking_assistant_action",
    steps: () => [
        ...pick("service_id", "Desk Massage"),
        ...pick("provider_id", "Desk Ben"),
        ...pick("partner_id", "Rita Regular"),
        { content: "Find the free times", trigger: ".modal button[name='action_search']", run: "click" },
        {
            content: "Book the first one",
            trigger: ".modal div[name='slot_ids'] .o_data_row:first button[name='action_book']",
            run: "click",
        },
        {
            content: "The booking is open, confirmed, taken by phone",
            trigger: ".o_form_view .o_statusbar_status .o_arrow_button_current:contains('Confirmed')",
        },
    ],
});

/** Staff book a walk-in for a new customer (with a phone): the first free provider, from now, checked in. */
registry.category("web_tour.tours").add("self_serve_booking_assistant_walk_in", {
    url: "/odoo/action-self_serve_booking.booking_assistant_action",
    steps: () => [
        ...pick("service_id", "Desk Massage"),
        { content: "A new customer", trigger: ".modal div[name='partner_id'] input", run: "edit Nina New" },
        {
            content: "Created with the details to reach them, not a name alone",
            trigger: "ul.ui-autocomplete .o_m2o_dropdown_option_create_edit a",
            run: "click",
        },
        {
            content: "Their phone",
            trigger: ".modal .o_form_view:has(div[name='phone']) div[name='phone'] input",
            run: "edit +32 470 12 34 56",
        },
        {
            content: "Save the customer",
            trigger: ".modal:has(div[name='phone']) .o_form_button_save",
            run: "click",
        },
        { trigger: ".modal div[name='partner_id'] input:value(Nina New)" },
        { content: "Walk-in: start now", trigger: ".modal button[name='action_book_walk_in']", run: "click" },
        {
            content: "The walk-in is booked and checked in",
            trigger: ".o_form_view .o_statusbar_status .o_arrow_button_current:contains('Checked In')",
        },
    ],
});

/** Moving an appointment onto a taken time: a clean message, never the crash dialog. */
registry.category("web_tour.tours").add("self_serve_booking_backend_conflict", {
    url: "/odoo/action-self_serve_booking.booking_appointment_action",
    steps: () => [
        {
            content: "Open Ben's appointment",
            trigger: ".o_data_row td:contains('Desk Ben')",
            run: "click",
        },
        { trigger: ".o_form_view div[name='provider_id'] input", run: "edit Desk Anna" },
        { trigger: "ul.ui-autocomplete a:contains(Desk Anna)", run: "click" },
        { content: "Save", trigger: ".o_form_view .o_form_button_save", run: "click" },
        {
            content: "The refusal says why, in a warning dialog",
            trigger: ".modal .modal-body:contains('no longer available')",
        },
        {
            content: "... titled as ours, and not the 'Oops' crash dialog with a traceback",
            trigger: ".modal .modal-title:contains('Time not available')",
            run() {
                // the crash dialog ("Oops!") has a "See technical details" button and a traceback
                if (document.querySelector(".modal .o_error_detail, .modal .fa-clipboard")
                    || document.querySelector(".modal .modal-title").textContent.includes("Oops")) {
                    throw new Error("the crash dialog is shown");
                }
            },
        },
        { trigger: ".modal .modal-footer button", run: "click" },
        { trigger: "body:not(:has(.modal))" },
        { trigger: ".o_form_view .o_form_button_cancel", run: "click" },
        { trigger: ".o_form_view div[name='provider_id'] input:value(Desk Ben)" },
    ],
});

/** The desk's checkout: an add-on on the bill, complete, a cash payment, the receipt sent. */
registry.category("web_tour.tours").add("self_serve_booking_checkout_at_the_desk", {
    steps: () => [
        {
            content: "Open the checkout screen",
            trigger: ".o_form_view button[name='action_open_checkout']",
            run: "click",
        },
        {
            content: "Add an add-on to the bill",
            trigger: ".o_booking_checkout div[name='line_ids'] .o_field_x2many_list_row_add a",
            run: "click",
        },
        {
            trigger: ".o_booking_checkout div[name='line_ids'] .o_selected_row div[name='product_id'] input",
            run: "edit Hair mask",
        },
        { trigger: "ul.ui-autocomplete a:contains(Hair mask)", run: "click" },
        {
            content: "The add-on takes its price",
            trigger: ".o_booking_checkout div[name='line_ids'] .o_selected_row div[name='price_unit'] input:value(15.00)",
        },
        { content: "Save the bill", trigger: ".o_form_view .o_form_button_save", run: "click" },
        {
            content: "The bill adds up",
            trigger: ".o_booking_checkout div[name='price']:contains(65.00)",
        },
        {
            content: "Complete: the desk takes the payment",
            trigger: ".o_booking_checkout button[name='action_checkout_complete']",
            run: "click",
        },
        {
            content: "Register the payment",
            trigger: ".o_booking_checkout button[name='action_register_payment']",
            run: "click",
        },
        {
            content: "Everything due is proposed",
            trigger: ".modal div[name='amount'] input:value(65.00)",
        },
        { content: "Cash", trigger: ".modal div[name='journal_id'] input:value(Cash)" },
        { content: "Confirm", trigger: ".modal button[name='action_confirm']", run: "click" },
        {
            content: "Paid in full",
            trigger: ".o_booking_checkout div[name='payment_state'] .badge:contains(Paid)",
        },
        {
            content: "E-mail the receipt",
            trigger: ".o_booking_checkout button[name='action_send_receipt_by_email']",
            run: "click",
        },
        {
            content: "The chatter says it went",
            trigger: ".o-mail-Message:contains(Receipt sent by e-mail)",
        },
    ],
});

/** A manager makes a page in the form and adds no notification: the defaults are there before saving. */
registry.category("web_tour.tours").add("self_serve_booking_new_page_has_its_notifications", {
    url: "/odoo/action-self_serve_booking.booking_page_action",
    steps: () => [
        { content: "New page", trigger: ".o_list_button_add", run: "click" },
        { content: "Its name", trigger: ".o_form_view div[name='name'] input", run: "edit Fresh Cuts" },
        { content: "Notifications & Automation", trigger: ".o_notebook a[name='automation']", run: "click" },
        {
            content: "The confirmation is listed before saving, by e-mail and SMS (Odoo SMS is set up)",
            trigger:
                ".o_form_view div[name='notification_rule_ids'] .o_data_row:contains('Customer: booking confirmed'):contains('E-mail and SMS')",
        },
        {
            content: "The 2-hour reminder too",
            trigger:
                ".o_form_view div[name='notification_rule_ids'] .o_data_row:contains('Customer: reminder'):contains('02:00'):contains('E-mail and SMS')",
        },
        { content: "Save", trigger: ".o_form_view .o_form_button_save", run: "click" },
        {
            content: "Saved, with its address",
            trigger: ".o_form_view .o_form_saved div[name='slug'] input:value(fresh-cuts)",
        },
    ],
});
