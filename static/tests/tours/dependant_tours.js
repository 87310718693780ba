/** @odoo-module **/
import { registry } from "@web/core/registry";
import { CONFIRMED, chooseService, click, edit, see, step } from "@self_serve_booking/../tests/tours/tour_steps";

/** A customer adds a pet in the portal, then books a grooming for it on the public page. */
registry.category("web_tour.tours").add("self_serve_booking_pet_groom", {
    url: "/my/dependants",
    steps: () => [
        click(".o_booking_dependant_add", "Add a pet"),
        edit("#dependant_name", "Fido"),
        click("#kind_pet"),
        edit("#dependant_species", "Dog"),
        edit("#dependant_breed", "Beagle"),
        edit("#dependant_weight", "12.5"),
        edit("#dependant_medical_notes", "Allergic to oatmeal shampoo"),
        click(".o_booking_dependant_save", "Save"),
        see(".o_booking_dependant_page .alert-success, .o_booking_dependant_page h1:contains('Fido')", "Saved"),
        step(".o_booking_dependant_page h1:contains('Fido')", () => {
            window.location.href = "/p/tour-spa";
        }, "To the booking page"),
        chooseService("Tour Grooming", "Choose the grooming"),
        click(".o_booking_provider_any", "Any available"),
        click(".o_booking_dependant_option:contains('Fido') input", "It is for Fido"),
        click(".o_booking_dependant_continue:enabled", "Continue"),
        click(".o_booking_day_available", "A day with free times"),
        click(".o_booking_time", "The first free time"),
        see(".o_booking_summary_dependants:contains('Fido')", "The summary says for whom"),
        click(".o_booking_submit", "Confirm"),
        see(CONFIRMED, "Booked"),
    ],
});

/** Staff open the booking: the pet, its details and notes are on the appointment. */
registry.category("web_tour.tours").add("self_serve_booking_staff_sees_pet", {
    url: "/odoo/action-self_serve_booking.booking_appointment_action",
    steps: () => [
        click(".o_data_row:contains('Tour Grooming') td.o_data_cell", "Open the grooming"),
        see(".o_form_view div[name='dependant_ids'] .o_tag:contains('Fido')", "It is for Fido"),
        click(".o_notebook a:contains('Pets & Family')", "The pet's page"),
        see(".o_form_view div[name='dependant_details']:contains('Beagle')", "Its breed"),
        see(".o_form_view div[name='dependant_details']:contains('oatmeal')", "Its allergies"),
    ],
});

/** "Book again" from a visit: the service, the provider and the pet are chosen, the next free times shown. */
registry.category("web_tour.tours").add("self_serve_booking_book_again", {
    steps: () => [
        see(".o_booking_widget[data-step='time'] .o_booking_time", "Straight to the free times of the first day"),
        see(".o_booking_widget:contains('Tour Grooming'):contains('Tour Ben')", "The same service and provider"),
        click(".o_booking_time", "The first free time"),
        see(".o_booking_summary_dependants:contains('Rex')", "For the same pet"),
        see(".o_booking_summary:not(:contains('Fido'))", "Not for someone else's pet"),
    ],
});
