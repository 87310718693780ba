{
    "name": "Self-Serve Booking",
    "version": "18.0.1.0.0",
    "summary": "Appointments customers book, pay and manage themselves: public page, live availability, "
    "deposits, waitlist, portal, merchant calendar",
    "category": "Services/Booking",
    "author": "Self-Serve Booking",
    "website": "https://github.com/self-serve-booking/self_serve_booking",
    "license": "LGPL-3",
    "depends": [
        "mail",
        "portal",
        "website",
        "resource",
        "phone_validation",
        "sms",
        "product",
    ],
    "external_dependencies": {"python": ["phonenumbers"]},
    "data": [
        "security/booking_security.xml",
        "security/ir.model.access.csv",
        "data/ir_sequence_data.xml",
        "data/booking_cancellation_policy_data.xml",
        "views/booking_cancellation_policy_views.xml",
        "views/booking_service_views.xml",
        "views/booking_provider_views.xml",
        "views/booking_appointment_views.xml",
        "views/booking_page_views.xml",
        "views/booking_waitlist_views.xml",
        "report/booking_report_views.xml",
        "wizard/booking_booking_wizard_views.xml",
        "views/res_partner_views.xml",
        "views/booking_menus.xml",
        "views/booking_page_templates.xml",
    ],
    "demo": [
        "demo/booking_demo.xml",
    ],
    "assets": {
        "web.assets_frontend": [
            "self_serve_booking/static/src/booking_widget/**/*",
        ],
        "web.assets_tests": [
            "self_serve_booking/static/tests/tours/**/*",
        ],
    },
    "application": True,
}
