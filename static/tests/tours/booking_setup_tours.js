/** @odoo-module **/
import { registry } from "@web/core/registry";
import { CONFIRMED, chooseService, click, edit, see, step } from "@self_serve_booking/../tests/tours/tour_steps";

/**
 * Counting screens: each screen the merchant lands on is recorded once per visit (sessionStorage survives
 * the page loads between the backend and the booking page); the last step refuses more than MAX_SCREENS.
 */
const SCREENS_KEY = "self_serve_booking.setup_screens";
const MAX_SCREENS = 10;

function screen(trigger, name) {
    return step(
        trigger,
        () => {
            const seen = JSON.parse(sessionStorage.getItem(SCREENS_KEY) || "[]");
            seen.push(name);
            sessionStorage.setItem(SCREENS_KEY, JSON.stringify(seen));
        },
        `Screen: ${name}`
    );
}

function dialog(title) {
    return screen(`.modal:has(.o_booking_setup_form) .modal-title:contains('${title}')`, title);
}

function saveAndContinue(content) {
    return click(".modal-footer button[name='action_continue']", content);
}

function addLine(values) {
    const steps = [click(".modal .o_field_x2many_list_row_add a")];
    for (const [field, value] of Object.entries(values)) {
        steps.push(edit(`.modal .o_selected_row [name='${field}'] input`, value));
    }
    return steps;
}

/** A new barber shop, from the Booking app of an empty company to a published page and a confirmed test booking. */
registry.category("web_tour.tours").add("self_serve_booking_guided_setup", {
    url: "/odoo",
    steps: () => [
        step("body", () => sessionStorage.removeItem(SCREENS_KEY)),
        click(".o_navbar_apps_menu button", "The apps"),
        click(".o_app[data-menu-xmlid='self_serve_booking.menu_booking_root']", "Open the Booking app"),
        screen(".o_booking_setup .o_booking_setup_panel .o_onboarding_step", "the guided setup"),

        click(".o_onboarding_step_action[data-method='action_open_step_booking_hours']", "Opening hours"),
        dialog("Opening hours"),
        see(".modal .o_data_row:first [name='is_open'] input:checked", "Monday to Friday, 9:00-17:00"),
        saveAndContinue(),

        dialog("Your team"),
        see(".modal .o_data_row:first [name='name']:contains('Bea Barber')", "the merchant, to start with"),
        ...addLine({ name: "Tom Trim", job_title: "Barber" }),
        saveAndContinue(),

        dialog("Your services"),
        ...addLine({ name: "Haircut", duration_minutes: "30", price: "25" }),
        ...addLine({ name: "Beard trim", duration_minutes: "15", price: "12" }),
        saveAndContinue(),

        dialog("Cancellations and no-shows"),
        see(".modal [name='summary']:contains('refunded')", "what customers will read"),
        saveAndContinue(),

        dialog("Payments"),
        see(".modal .o_booking_setup_no_deposit", "no deposit: paid at the visit"),
        saveAndContinue("On to the test booking"),

        screen(".o_booking_page .o_booking_preview_notice", "the page's preview"),
        chooseService("Haircut", "Book as a customer would"),
        click(".o_booking_provider_any"),
        step(".o_booking_calendar:not(.opacity-50)", () => {
            if (!document.querySelector(".o_booking_day_available")) {
                document.querySelector(".o_booking_next_month").click();
            }
        }),
        click(".o_booking_day_available"),
        click(".o_booking_time"),
        click(".o_booking_submit", "Book"),
        screen(`${CONFIRMED}`, "the confirmation"),
        see(".o_booking_test_notice", "said to be a test booking"),
        click(".o_booking_back_to_setup", "Back to the setup"),

        screen(
            ".o_booking_setup .o_onboarding_step:not([data-step-state='not_done']) [data-method='action_open_step_booking_try']",
            "the guided setup, the test booking done"
        ),
        click(".o_onboarding_step_action[data-method='action_open_step_booking_publish']", "Publish"),
        dialog("Publish your page"),
        see(".modal [name='checklist']:contains('Tried')"),
        click(".modal button[name='action_publish']", "Publish"),
        see(".o_booking_setup .o_booking_setup_done:contains('live')", "The page is live"),
        step(".o_booking_setup_page .badge:contains('Published')", () => {
            const seen = JSON.parse(sessionStorage.getItem(SCREENS_KEY) || "[]");
            console.info(`self_serve_booking guided setup: ${seen.length} screens: ${seen.join(" > ")}`);
            if (seen.length > MAX_SCREENS) {
                throw new Error(`the setup took ${seen.length} screens (at most ${MAX_SCREENS}): ${seen.join(", ")}`);
            }
        }),
    ],
});
