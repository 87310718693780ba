/** @odoo-module **/
/**
 * Accessibility tours: axe-core (WCAG 2.0/2.1 A and AA rules) run on each
 * state of the public page, the booking widget and the portal booking pages.
 *
 * axe-core is not part of the addon: tests/test_ui_accessibility.py serves
 * the file bin/test installed from package.json at AXE_URL (the test browser
 * hands every non-local request to the test case, see its fetch_proxy).
 *
 * Each check logs what it found; the last step of a tour fails with every
 * serious or critical violation seen along the way, grouped by rule and
 * element, with the states it was seen in.
 */
import { loadJS } from "@web/core/assets";
import { registry } from "@web/core/registry";
import {
    CONFIRMED,
    chooseService,
    click,
    edit,
    fullDay,
    see,
    showMonthOf,
    step,
} from "@self_serve_booking/../tests/tours/tour_steps";

const AXE_URL = "https://axe-core.ssb-a11y.invalid/axe.min.js"; // keep in sync with test_ui_accessibility.py
const STORE_KEY = "self_serve_booking.a11y_findings";
const TAGS = ["wcag2a", "wcag2aa", "wcag21a", "wcag21aa"];
const BLOCKING = ["serious", "critical"];
/**
 * Not checked, because the addon does not render them:
 * - header#top, footer#bottom: the website's own header and footer (web.frontend_layout / website.layout:
 *   the site's menu, logo, sign-in, copyright and Odoo's "Powered by Odoo - free website" promotion);
 * - #chatterRoot: Odoo's portal chatter (portal.message_thread, rendered by the mail module in a shadow root);
 * - .o_tour_pointer: the tour's own pointer (test-only UI).
 * Everything else on the page is checked, including page-level rules (document title, lang, landmarks).
 */
const EXCLUDE = ["header#top", "footer#bottom", "#chatterRoot", ".o_tour_pointer"];

function readFindings() {
    return JSON.parse(window.sessionStorage.getItem(STORE_KEY) || "{}");
}

async function nextFrames(count = 2) {
    for (let i = 0; i < count; i++) {
        await new Promise((resolve) => requestAnimationFrame(resolve));
    }
}

async function waitUntil(predicate, what, timeout = 10000) {
    const until = Date.now() + timeout;
    while (!predicate()) {
        if (Date.now() > until) {
            throw new Error(`a11y: timed out waiting for ${what}`);
        }
        await new Promise((resolve) => setTimeout(resolve, 50));
    }
}

/**
 * A settled page: no transition or animation (colours are checked in their final state, not halfway
 * through a fade), web fonts loaded, scrolled to the top (what overlaps what does not depend on where
 * the previous step scrolled: sticky header and widget card).
 */
function freezeMotion() {
    if (!document.getElementById("ssb_a11y_no_motion")) {
        const style = document.createElement("style");
        style.id = "ssb_a11y_no_motion";
        style.textContent = "*, *::before, *::after { transition: none !important; animation: none !important; } " +
            "html { scroll-behavior: auto !important; }";
        document.head.appendChild(style);
    }
}

function describeNode(node) {
    return {
        target: node.target.map((t) => (Array.isArray(t) ? t.join(" >>> ") : t)).join(" | "),
        html: node.html.replace(/\s+/g, " ").slice(0, 240),
        fix: (node.failureSummary || "").replace(/\s+/g, " ").slice(0, 400),
    };
}

/** Runs axe on the page as it is now; records the violations under `label`. */
async function ssbA11yCheck(label) {
    await loadJS(AXE_URL);
    if (!window.axe) {
        throw new Error(`a11y: axe-core did not load from ${AXE_URL}`);
    }
    freezeMotion();
    window.scrollTo({ top: 0, left: 0, behavior: "instant" });
    await document.fonts.ready;
    await nextFrames();
    const results = await window.axe.run(
        { exclude: EXCLUDE.map((selector) => [selector]) },
        { runOnly: { type: "tag", values: TAGS }, resultTypes: ["violations"], preload: false }
    );
    const findings = readFindings();
    const counts = [];
    for (const violation of results.violations) {
        counts.push(`${violation.id}(${violation.impact}) x${violation.nodes.length}`);
        for (const node of violation.nodes) {
            const where = describeNode(node);
            // one finding per rule and markup: the same element is reported once whatever the state
            const key = `${violation.id} @ ${where.html}`;
            const finding = (findings[key] = findings[key] || {
                id: violation.id,
                impact: node.impact || violation.impact,
                help: violation.help,
                helpUrl: violation.helpUrl,
                ...where,
                targets: [],
                states: [],
            });
            if (!finding.targets.includes(where.target)) {
                finding.targets.push(where.target);
            }
            if (!finding.states.includes(label)) {
                finding.states.push(label);
            }
        }
    }
    window.sessionStorage.setItem(STORE_KEY, JSON.stringify(findings));
    console.log(`a11y [${label}] ${location.pathname} ${innerWidth}x${innerHeight}: ` +
        `${counts.length ? counts.join(", ") : "no violation"}`);
}

/** Fails with every serious or critical violation recorded by this tour; logs the others. */
function ssbA11yAssertClean() {
    const findings = Object.values(readFindings());
    window.sessionStorage.removeItem(STORE_KEY);
    const format = (f) => `- [${f.impact}] ${f.id}: ${f.help}\n    element: ${f.target}` +
        `${f.targets.length > 1 ? ` (and ${f.targets.length - 1} more with this markup)` : ""}\n    html: ${f.html}\n` +
        `    fix: ${f.fix}\n    seen in: ${f.states.join("; ")}\n    rule: ${f.helpUrl}`;
    const minor = findings.filter((f) => !BLOCKING.includes(f.impact));
    if (minor.length) {
        console.log(`a11y: ${minor.length} moderate/minor finding(s), not blocking:\n${minor.map(format).join("\n")}`);
    }
    const blocking = findings.filter((f) => BLOCKING.includes(f.impact));
    if (blocking.length) {
        blocking.sort((a, b) => a.id.localeCompare(b.id) || a.target.localeCompare(b.target));
        throw new Error(`a11y: ${blocking.length} serious/critical accessibility violation(s) ` +
            `(axe-core ${window.axe && window.axe.version}, ${TAGS.join(", ")}):\n${blocking.map(format).join("\n")}`);
    }
}

window.ssbA11yCheck = ssbA11yCheck;

function check(label) {
    return () => ssbA11yCheck(label);
}

/** A step that runs axe once `trigger` is there, recording what it finds under `label`. */
function checked(trigger, label, content) {
    return step(trigger, check(label), content);
}

function startStep() {
    return step("body", () => window.sessionStorage.removeItem(STORE_KEY), "a11y: start from a clean record");
}

function endStep() {
    return step("body", ssbA11yAssertClean, "a11y: no serious or critical violation");
}

/** The public page and every step of the widget, from the service to the confirmation page. */
registry.category("web_tour.tours").add("self_serve_booking_a11y_public_page", {
    url: "/p/tour-spa",
    steps: () => [
        startStep(),
        checked(
            ".o_booking_step_service .o_booking_service_option:contains('Tour Massage')",
            "public page, service step",
            "Public page, widget rendered: service step"
        ),
        chooseService("Tour Massage"),
        checked(".o_booking_step_provider .o_booking_provider_option", "provider step", "Provider step"),
        click(".o_booking_provider_any"),
        checked(
            ".o_booking_step_date .o_booking_calendar:not(.opacity-50) .o_booking_day_available",
            "date step",
            "Date step, free times loaded"
        ),
        click(".o_booking_day_available"),
        checked(".o_booking_step_time .o_booking_time", "time step", "Time step"),
        click(".o_booking_waitlist_link"),
        checked(".o_booking_step_contact #booking_wl_from", "waitlist form", "Waitlist form"),
        click(".o_booking_back"),
        click(".o_booking_step_time .o_booking_time"),
        checked(".o_booking_step_contact .o_booking_summary", "contact step", "Contact step"),
        click(".o_booking_step_contact .o_booking_verify_open"),
        checked(
            ".o_booking_verify #booking_verify_email",
            "contact step, code panel",
            "Contact step, the returning customer's code panel open"
        ),
        click(".o_booking_verify button.btn-link:contains('Cancel')"),
        see(".o_booking_step_contact:not(:has(.o_booking_verify)) .o_booking_verify_open"),
        edit("#booking_name", "Tess Tourist"),
        edit("#booking_phone", "12"),
        click(".o_booking_submit:enabled"),
        checked(
            ".o_booking_step_contact:has(.o_booking_message) #booking_phone.is-invalid",
            "contact step, validation error",
            "Contact step with a validation error shown"
        ),
        step("#booking_phone", "clear"),
        edit("#booking_email", "tess.tourist@example.com"),
        click(".o_booking_submit:enabled"),
        checked(CONFIRMED, "confirmation page", "Confirmation page"),
        endStep(),
    ],
});

/** Checks the portal booking page once its messages (Odoo's chatter, in a shadow root) are loaded. */
async function checkBookingPageWithMessages() {
    await waitUntil(() => {
        const root = document.querySelector("#chatterRoot");
        return root && root.shadowRoot && root.shadowRoot.querySelector(".o-mail-Chatter, .o-mail-Thread");
    }, "the portal messages");
    await ssbA11yCheck("portal: booking page");
}

/** A portal customer's bookings: the list, one booking (paid deposit), its cancel and reschedule pages. */
registry.category("web_tour.tours").add("self_serve_booking_a11y_portal", {
    url: "/my/bookings",
    steps: () => [
        startStep(),
        checked(".o_booking_row a", "portal: my bookings", "My bookings"),
        click(".o_booking_row a"),
        step(
            ".o_booking_portal_page[data-state='confirmed'] .o_booking_actions",
            checkBookingPageWithMessages,
            "The booking page, its messages loaded"
        ),
        click(".o_booking_cancel_link"),
        checked(
            ".o_booking_cancel_page .o_booking_refund_preview",
            "portal: cancel page",
            "Cancel page, the refund shown first"
        ),
        click(".o_booking_cancel_page form a[href*='/my/bookings/']", "Keep it: back to the booking"),
        click(".o_booking_portal_page .o_booking_reschedule_link"),
        checked(
            ".o_booking_reschedule_page .o_booking_reschedule_time",
            "portal: reschedule page",
            "Reschedule page: days and times"
        ),
        click(".o_booking_reschedule_time"),
        checked(
            ".o_booking_reschedule_page .o_booking_reschedule_confirm",
            "portal: reschedule confirmation",
            "Reschedule page: confirm the move"
        ),
        endStep(),
    ],
});

/** A fully booked day, the waitlist form with an error, then on the waitlist. */
registry.category("web_tour.tours").add("self_serve_booking_a11y_full_day", {
    url: "/p/tour-full",
    steps: () => {
        const day = fullDay();
        return [
            startStep(),
            chooseService("Tour Massage"),
            showMonthOf(
                day,
                ".o_booking_step_date:has(.o_booking_calendar:not(.opacity-50)) .o_booking_month",
                "The calendar of the month holding the full day"
            ),
            checked(
                `.o_booking_calendar:not(.opacity-50) .o_booking_day_full[data-date='${day}']`,
                "date step with a full day",
                "Date step with a fully booked day"
            ),
            click(`.o_booking_day_full[data-date='${day}']`),
            checked(
                ".o_booking_day_is_full .o_booking_join_waitlist",
                "full day: no free time",
                "No free time left that day"
            ),
            click(".o_booking_join_waitlist"),
            edit("#booking_name", "Wanda Waiting"),
            click(".o_booking_waitlist_submit:enabled"),
            checked(
                ".o_booking_step_contact .o_booking_message",
                "waitlist form, error",
                "Waitlist form with an error shown (no e-mail nor phone)"
            ),
            edit("#booking_email", "wanda@example.com"),
            click(".o_booking_waitlist_submit:enabled"),
            checked(".o_booking_waitlist_done", "waitlist joined", "On the waitlist"),
            endStep(),
        ];
    },
});
