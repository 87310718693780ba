/** @odoo-module **/
/* global luxon */
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

const ZONE = "Europe/Brussels"; // the tour pages' zone (TourDataMixin)

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

function startStep() {
    return {
        content: "a11y: start from a clean record",
        trigger: "body",
        run: () => window.sessionStorage.removeItem(STORE_KEY),
    };
}

function endStep() {
    return { content: "a11y: no serious or critical violation", trigger: "body", run: ssbA11yAssertClean };
}

/** The public page and every step of the widget, from the service to the confirmation page. */
registry.category("web_tour.tours").add("self_serve_booking_a11y_public_page", {
    url: "/p/tour-spa",
    steps: () => [
        startStep(),
        {
            content: "Public page, widget rendered: service step",
            trigger: ".o_booking_step_service .o_booking_service_option:contains('Tour Massage')",
            run: check("public page, service step"),
        },
        { trigger: ".o_booking_service_option:contains('Tour Massage')", run: "click" },
        {
            content: "Provider step",
            trigger: ".o_booking_step_provider .o_booking_provider_option",
            run: check("provider step"),
        },
        { trigger: ".o_booking_provider_any", run: "click" },
        {
            content: "Date step, free times loaded",
            trigger: ".o_booking_step_date .o_booking_calendar:not(.opacity-50) .o_booking_day_available",
            run: check("date step"),
        },
        { trigger: ".o_booking_day_available", run: "click" },
        {
            content: "Time step",
            trigger: ".o_booking_step_time .o_booking_time",
            run: check("time step"),
        },
        { trigger: ".o_booking_waitlist_link", run: "click" },
        {
            content: "Waitlist form",
            trigger: ".o_booking_step_contact #booking_wl_from",
            run: check("waitlist form"),
        },
        { trigger: ".o_booking_back", run: "click" },
        { trigger: ".o_booking_step_time .o_booking_time", run: "click" },
        {
            content: "Contact step",
            trigger: ".o_booking_step_contact .o_booking_summary",
            run: check("contact step"),
        },
        { trigger: ".o_booking_step_contact .o_booking_verify_open", run: "click" },
        {
            content: "Contact step, the returning customer's code panel open",
            trigger: ".o_booking_verify #booking_verify_email",
            run: check("contact step, code panel"),
        },
        { trigger: ".o_booking_verify button.btn-link:contains('Cancel')", run: "click" },
        { trigger: ".o_booking_step_contact:not(:has(.o_booking_verify)) .o_booking_verify_open" },
        { trigger: "#booking_name", run: "edit Tess Tourist" },
        { trigger: "#booking_phone", run: "edit 12" },
        { trigger: ".o_booking_submit:enabled", run: "click" },
        {
            content: "Contact step with a validation error shown",
            trigger: ".o_booking_step_contact:has(.o_booking_message) #booking_phone.is-invalid",
            run: check("contact step, validation error"),
        },
        { trigger: "#booking_phone", run: "clear" },
        { trigger: "#booking_email", run: "edit tess.tourist@example.com" },
        { trigger: ".o_booking_submit:enabled", run: "click" },
        {
            content: "Confirmation page",
            trigger: ".o_booking_confirmation .o_booking_state[data-state='confirmed']",
            run: check("confirmation page"),
        },
        endStep(),
    ],
});

/** A portal customer's bookings: the list, one booking (paid deposit), its cancel and reschedule pages. */
registry.category("web_tour.tours").add("self_serve_booking_a11y_portal", {
    url: "/my/bookings",
    steps: () => [
        startStep(),
        {
            content: "My bookings",
            trigger: ".o_booking_row a",
            run: check("portal: my bookings"),
        },
        { trigger: ".o_booking_row a", run: "click" },
        {
            content: "The booking page, its messages loaded",
            trigger: ".o_booking_portal_page[data-state='confirmed'] .o_booking_actions",
            async run() {
                await waitUntil(() => {
                    const root = document.querySelector("#chatterRoot");
                    return root && root.shadowRoot && root.shadowRoot.querySelector(".o-mail-Chatter, .o-mail-Thread");
                }, "the portal messages");
                await ssbA11yCheck("portal: booking page");
            },
        },
        { trigger: ".o_booking_cancel_link", run: "click" },
        {
            content: "Cancel page, the refund shown first",
            trigger: ".o_booking_cancel_page .o_booking_refund_preview",
            run: check("portal: cancel page"),
        },
        {
            content: "Keep it: back to the booking",
            trigger: ".o_booking_cancel_page form a[href*='/my/bookings/']",
            run: "click",
        },
        { trigger: ".o_booking_portal_page .o_booking_reschedule_link", run: "click" },
        {
            content: "Reschedule page: days and times",
            trigger: ".o_booking_reschedule_page .o_booking_reschedule_time",
            run: check("portal: reschedule page"),
        },
        { trigger: ".o_booking_reschedule_time", run: "click" },
        {
            content: "Reschedule page: confirm the move",
            trigger: ".o_booking_reschedule_page .o_booking_reschedule_confirm",
            run: check("portal: reschedule confirmation"),
        },
        endStep(),
    ],
});

/** A fully booked day, the waitlist form with an error, then on the waitlist. */
registry.category("web_tour.tours").add("self_serve_booking_a11y_full_day", {
    url: "/p/tour-full",
    steps: () => {
        const fullDay = luxon.DateTime.now().setZone(ZONE).plus({ days: 2 }).toISODate();
        return [
            startStep(),
            { trigger: ".o_booking_service_option:contains('Tour Massage')", run: "click" },
            {
                content: "The calendar of the month holding the full day",
                trigger: ".o_booking_step_date:has(.o_booking_calendar:not(.opacity-50)) .o_booking_month",
                run() {
                    if (!document.querySelector(`.o_booking_day[data-date='${fullDay}']`)) {
                        document.querySelector(".o_booking_next_month").click();
                    }
                },
            },
            {
                content: "Date step with a fully booked day",
                trigger: `.o_booking_calendar:not(.opacity-50) .o_booking_day_full[data-date='${fullDay}']`,
                run: check("date step with a full day"),
            },
            { trigger: `.o_booking_day_full[data-date='${fullDay}']`, run: "click" },
            {
                content: "No free time left that day",
                trigger: ".o_booking_day_is_full .o_booking_join_waitlist",
                run: check("full day: no free time"),
            },
            { trigger: ".o_booking_join_waitlist", run: "click" },
            { trigger: "#booking_name", run: "edit Wanda Waiting" },
            { trigger: ".o_booking_waitlist_submit:enabled", run: "click" },
            {
                content: "Waitlist form with an error shown (no e-mail nor phone)",
                trigger: ".o_booking_step_contact .o_booking_message",
                run: check("waitlist form, error"),
            },
            { trigger: "#booking_email", run: "edit wanda@example.com" },
            { trigger: ".o_booking_waitlist_submit:enabled", run: "click" },
            {
                content: "On the waitlist",
                trigger: ".o_booking_waitlist_done",
                run: check("waitlist joined"),
            },
            endStep(),
        ];
    },
});
