/** @odoo-module **/
/* global luxon */
/**
 * The booking widget of /p/<slug>: service -> provider or "any" -> day ->
 * time -> contact -> booked (or the waitlist when no time suits).
 *
 * It talks only to the public JSON API (/booking/api/v1), the same one
 * headless sites use, and listens to the page's bus channel so a time
 * booked by someone else disappears without a reload.
 */
import { Component, onWillStart, onWillUnmount, useEffect, useRef, useState } from "@odoo/owl";
import { _t } from "@web/core/l10n/translation";
import { registry } from "@web/core/registry";
import { revealBelowHeader } from "@self_serve_booking/public/reveal";

const { DateTime } = luxon;

const DAY_NAMES_START = DateTime.fromISO("2024-01-01"); // a Monday

function newIdempotencyKey() {
    if (window.crypto && window.crypto.randomUUID) {
        return window.crypto.randomUUID();
    }
    const bytes = new Uint8Array(16);
    window.crypto.getRandomValues(bytes);
    return Array.from(bytes, (b) => b.toString(16).padStart(2, "0")).join("");
}

/** The ISO 8601 UTC text of an instant in milliseconds, as the API writes it ("2025-06-02T07:00:00Z"). */
function isoUtc(ms) {
    return new Date(ms).toISOString().replace(/\.\d{3}Z$/, "Z");
}

/**
 * The free times of a `format=days` answer as the widget's slots: each time once, with its local date;
 * `provider_id` is the provider asked for, or null for "any available" (assigned when booking).
 */
export function slotsFromDays(answer) {
    const slots = [];
    const length = answer.duration_minutes * 60000;
    for (const day of answer.days) {
        const midnight = Date.parse(day.midnight);
        for (const minutes of day.starts) {
            const start = midnight + minutes * 60000;
            slots.push({ start: isoUtc(start), end: isoUtc(start + length), provider_id: answer.provider_id,
                date: day.date });
        }
    }
    return slots;
}

export class BookingWidget extends Component {
    static template = "self_serve_booking.BookingWidget";
    static props = ["*"];

    setup() {
        const customer = this.props.customer;
        this.state = useState({
            loading: true,
            loadError: null,
            step: "service",
            services: [],
            providers: [],
            serviceId: null,
            providerId: null,
            month: DateTime.fromISO(this.props.today).startOf("month").toISODate(),
            slots: [],
            openDates: [],
            slotsLoading: false,
            date: null,
            start: null,
            form: {
                name: customer ? customer.name : "",
                email: customer ? customer.email : "",
                phone: customer ? customer.phone : "",
                note: "",
                address: "",
            },
            errors: {},
            message: null,
            alternatives: [],
            submitting: false,
            waitlist: { timeFrom: "", timeTo: "", done: null },
            notice: null,
            // a returning customer who proved who they are with a one-time code
            verified: this.restoreVerified(),
            verify: { open: false, stage: "ask", email: "", phone: "", code: "", errors: {}, message: null,
                      sending: false },
            // who the booking is for (services for a pet, a child...): the signed-in customer's own
            dependantIds: [],
            dependantMode: "together",
            dependantsChosen: false,
            dependantQueue: [],
            bookedForOthers: [],
        });
        this.userZone = DateTime.local().zoneName;
        this.onAvailability = this.onAvailability.bind(this);
        this.onVisibility = this.onVisibility.bind(this);
        this.onChooseService = this.onChooseService.bind(this);

        onWillStart(() => this.loadPage());

        // Keyboard and screen-reader users land on each new step's title,
        // not back at the top of the page (not on the first render); what the
        // step shows (the day's times, the form...) is scrolled into view: on
        // a phone it would start below the fold.
        this.root = useRef("root");
        let firstStep = true;
        useEffect(
            (step) => {
                if (firstStep) {
                    firstStep = false;
                    return;
                }
                // the step's own title: the last one (the day's times come below the calendar's title)
                const titles = this.root.el ? this.root.el.querySelectorAll(".o_booking_step_title") : [];
                const title = titles[titles.length - 1];
                if (title && step) {
                    title.focus({ preventScroll: true });
                    revealBelowHeader(title.closest(".o_booking_step_result") || title);
                }
            },
            () => [this.state.step]
        );
        // On the waitlist: the form (and its button, which had the focus) gives way to the message
        useEffect(
            (done) => {
                const message = done && this.root.el && this.root.el.querySelector(".o_booking_waitlist_done");
                if (message) {
                    message.focus({ preventScroll: true });
                    revealBelowHeader(message);
                }
            },
            () => [this.state.waitlist.done]
        );

        const bus = this.env.services && this.env.services.bus_service;
        if (bus) {
            this.bus = bus;
            this.channel = `self_serve_booking.page.${this.props.pageId}`;
            bus.addChannel(this.channel);
            bus.subscribe("self_serve_booking/availability", this.onAvailability);
        }
        document.addEventListener("visibilitychange", this.onVisibility);
        document.addEventListener("click", this.onChooseService);
        onWillUnmount(() => {
            document.removeEventListener("visibilitychange", this.onVisibility);
            document.removeEventListener("click", this.onChooseService);
            if (this.bus) {
                this.bus.unsubscribe("self_serve_booking/availability", this.onAvailability);
                this.bus.deleteChannel(this.channel);
            }
        });
    }

    // ------------------------------------------------------------------
    // API
    // ------------------------------------------------------------------

    async api(path, { method = "GET", body, auth = false, idempotent = false } = {}) {
        const init = { method, headers: { Accept: "application/json" }, credentials: "same-origin" };
        if (body !== undefined) {
            init.headers["Content-Type"] = "application/json";
            init.headers["X-Booking-Widget"] = "1";
            init.body = JSON.stringify(body);
        }
        if (auth && this.state.verified) {
            init.headers.Authorization = `Bearer ${this.state.verified.token}`;
        }
        if (idempotent) {
            // the same request sent again (a retry after a lost answer) keeps its key: booked once
            if (this.lastRequest !== init.body) {
                this.lastRequest = init.body;
                this.idempotencyKey = newIdempotencyKey();
            }
            init.headers["Idempotency-Key"] = this.idempotencyKey;
        }
        let response;
        try {
            response = await fetch(`${this.props.apiBase}${path}`, init);
        } catch {
            return { status: 0, data: { message: _t("You seem to be offline. Please try again.") } };
        }
        let data = {};
        try {
            data = await response.json();
        } catch {
            data = { message: _t("Unexpected answer from the server.") };
        }
        return { status: response.status, data };
    }

    async loadPage() {
        const { status, data } = await this.api(`/pages/${this.props.slug}`);
        this.state.loading = false;
        if (status !== 200) {
            this.state.loadError = data.message || _t("This page cannot take bookings right now.");
            return;
        }
        this.state.services = data.services;
        this.state.providers = data.providers;
        const preselected = data.services.find((s) => s.id === this.props.serviceId);
        if (preselected) {
            await this.preselect(preselected);
        }
    }

    /**
     * "Book again": the service, and the provider and dependants of the link when they still fit (the
     * server passes only the signed-in customer's own dependants), then the first day with free times.
     */
    async preselect(service) {
        this.state.serviceId = service.id;
        const own = (this.props.dependantIds || []).filter((id) => this.serviceDependants.some((d) => d.id === id));
        this.state.dependantIds = own.slice(0, Math.max(1, service.max_dependants || 1));
        this.state.dependantsChosen = this.state.dependantIds.length > 0;
        this.state.dependantMode = this.state.dependantIds.length > 1 && service.max_dependants > 1 ? "together" : "separate";
        this.state.dependantQueue = this.state.dependantMode === "separate" ? [...this.state.dependantIds] : [];
        await this.selectService(service.id, { keepDependants: true });
        const providerId = this.props.providerId;
        if (providerId && this.props.showProviders && this.serviceProviders.some((p) => p.id === providerId)) {
            await this.selectProvider(providerId);
        }
        if (providerId && this.state.step === "date") {
            const first = Object.keys(this.slotsByDate).sort()[0];
            if (first) {
                this.selectDate({ iso: first, open: true, available: true });
            }
        }
    }

    async loadSlots() {
        const service = this.service;
        if (!service) {
            return;
        }
        const month = DateTime.fromISO(this.state.month);
        const from = DateTime.max(month, DateTime.fromISO(this.props.today));
        const to = DateTime.min(month.endOf("month").startOf("day"), DateTime.fromISO(this.props.lastBookableDate));
        if (from > to) {
            this.state.slots = [];
            return;
        }
        // each free time once, by day: a month of "any available" in a few kilobytes (gzip on top)
        const params = new URLSearchParams({
            service_id: service.id,
            date_from: from.toISODate(),
            date_to: to.toISODate(),
            format: "days",
        });
        if (this.state.providerId) {
            params.set("provider_id", this.state.providerId);
        }
        if (this.bookingDependantIds.length > 1) {
            params.set("dependant_count", this.bookingDependantIds.length);
        }
        this.state.slotsLoading = true;
        const { status, data } = await this.api(`/pages/${this.props.slug}/slots?${params}`);
        this.state.slotsLoading = false;
        this.state.slots = status === 200 ? slotsFromDays(data) : [];
        this.state.openDates = status === 200 ? data.open_dates || [] : [];
        if (status !== 200) {
            this.state.message = data.message || _t("Could not load the free times.");
        }
        if (this.state.start && !this.state.slots.some((slot) => slot.start === this.state.start)) {
            this.state.start = null;
            this.state.notice = _t("The time you picked has just been booked by someone else. Please choose another one.");
            if (this.state.step === "contact") {
                this.state.step = "time";
            }
        }
    }

    // ------------------------------------------------------------------
    // Derived data
    // ------------------------------------------------------------------

    /** The chosen service takes place at the customer's address: the form asks for it. */
    get atCustomer() {
        return Boolean(this.service && this.service.location === "customer");
    }

    get service() {
        return this.state.services.find((s) => s.id === this.state.serviceId);
    }

    get provider() {
        return this.state.providers.find((p) => p.id === this.state.providerId);
    }

    get serviceProviders() {
        const service = this.service;
        return service ? this.state.providers.filter((p) => service.provider_ids.includes(p.id)) : [];
    }

    localDate(iso) {
        return DateTime.fromISO(iso, { zone: "utc" }).setZone(this.props.timezone).toISODate();
    }

    get slotsByDate() {
        const byDate = {};
        for (const slot of this.state.slots) {
            const day = slot.date || this.localDate(slot.start);
            (byDate[day] = byDate[day] || []).push(slot);
        }
        return byDate;
    }

    get weekdayNames() {
        return [0, 1, 2, 3, 4, 5, 6].map((i) =>
            DAY_NAMES_START.plus({ days: i }).setLocale(this.locale).toFormat("ccc")
        );
    }

    get locale() {
        return (this.props.lang || "en_US").replace("_", "-");
    }

    get monthLabel() {
        return DateTime.fromISO(this.state.month).setLocale(this.locale).toFormat("LLLL yyyy");
    }

    get canGoBack() {
        return DateTime.fromISO(this.state.month) > DateTime.fromISO(this.props.today).startOf("month");
    }

    get canGoForward() {
        return DateTime.fromISO(this.state.month).endOf("month") < DateTime.fromISO(this.props.lastBookableDate);
    }

    /** Weeks of the displayed month, Monday first; null for padding cells. */
    get weeks() {
        const month = DateTime.fromISO(this.state.month);
        const byDate = this.slotsByDate;
        const today = this.props.today;
        const last = this.props.lastBookableDate;
        const cells = [];
        for (let i = 1; i < month.weekday; i++) {
            cells.push(null);
        }
        const openDates = new Set(this.state.openDates);
        for (let day = month; day.month === month.month; day = day.plus({ days: 1 })) {
            const iso = day.toISODate();
            // closed: nobody works that day (or it is out of the booking window); full: all booked
            const open = iso >= today && iso <= last && (openDates.has(iso) || Boolean(byDate[iso]));
            const available = open && Boolean(byDate[iso]);
            const dayName = day.setLocale(this.locale).toLocaleString(DateTime.DATE_HUGE);
            cells.push({
                iso,
                label: day.day,
                open,
                available,
                full: open && !available,
                selected: iso === this.state.date,
                title: available ? dayName : open ? _t("%s: fully booked", dayName) : _t("%s: closed", dayName),
            });
        }
        while (cells.length % 7) {
            cells.push(null);
        }
        const weeks = [];
        for (let i = 0; i < cells.length; i += 7) {
            weeks.push(cells.slice(i, i + 7));
        }
        return weeks;
    }

    /** Free times of the selected day, one per start ("any" keeps the assigned provider). */
    get times() {
        const seen = new Set();
        const times = [];
        for (const slot of this.slotsByDate[this.state.date] || []) {
            if (seen.has(slot.start)) {
                continue;
            }
            seen.add(slot.start);
            times.push({ ...slot, label: this.timeLabel(slot.start), own: this.ownTimeLabel(slot.start) });
        }
        return times;
    }

    timeLabel(iso) {
        return DateTime.fromISO(iso, { zone: "utc" }).setZone(this.props.timezone).setLocale(this.locale)
            .toLocaleString(DateTime.TIME_SIMPLE);
    }

    /** The zone's usual abbreviation at that moment (CET, PST), as the server writes it, else its offset. */
    zoneAbbreviation(iso) {
        const date = new Date(iso);
        for (const locale of ["en-US", "en-GB"]) {
            const part = new Intl.DateTimeFormat(locale, { timeZone: this.props.timezone, timeZoneName: "short" })
                .formatToParts(date).find((p) => p.type === "timeZoneName");
            if (part && /^[A-Z]{2,5}$/.test(part.value)) {
                return part.value;
            }
        }
        return DateTime.fromISO(iso, { zone: "utc" }).setZone(this.props.timezone).toFormat("'UTC'ZZ");
    }

    /** One date and time format everywhere in the widget: "Monday, June 2, 2025, 10:00 AM CEST". */
    whenLabel(iso) {
        const local = DateTime.fromISO(iso, { zone: "utc" }).setZone(this.props.timezone).setLocale(this.locale);
        return `${local.toLocaleString(DateTime.DATE_HUGE)}, ${local.toLocaleString(DateTime.TIME_SIMPLE)} ${
            this.zoneAbbreviation(iso)}`;
    }

    /** The same time in the visitor's own zone, when it differs from the page's; says when it is another day. */
    ownTimeLabel(iso) {
        if (this.userZone === this.props.timezone) {
            return "";
        }
        const pageTime = DateTime.fromISO(iso, { zone: "utc" }).setZone(this.props.timezone);
        const own = pageTime.setZone(this.userZone);
        if (own.offset === pageTime.offset) {
            return "";
        }
        const label = own.setLocale(this.locale).toLocaleString(DateTime.TIME_SIMPLE);
        const ownDay = own.toISODate();
        const pageDay = pageTime.toISODate();
        if (ownDay > pageDay) {
            return _t("%s (next day)", label);
        }
        if (ownDay < pageDay) {
            return _t("%s (day before)", label);
        }
        return label;
    }

    get showOwnZone() {
        const now = DateTime.now();
        return this.userZone !== this.props.timezone &&
            now.setZone(this.userZone).offset !== now.setZone(this.props.timezone).offset;
    }

    get selectedDateLabel() {
        return this.state.date
            ? DateTime.fromISO(this.state.date).setLocale(this.locale).toLocaleString(DateTime.DATE_HUGE)
            : "";
    }

    get summary() {
        const service = this.service;
        if (!service || !this.state.start) {
            return null;
        }
        const slot = this.state.slots.find((s) => s.start === this.state.start);
        const provider = this.state.providers.find((p) => slot && p.id === slot.provider_id);
        return {
            service: service.name,
            // "any available": the provider free then is assigned when booking (the confirmation names them)
            provider: this.state.providerId
                ? provider && provider.name
                : provider
                  ? provider.name
                  : _t("any available provider"),
            when: this.whenLabel(this.state.start),
            price: this.money(service.price),
            deposit: service.deposit.amount ? this.money(service.deposit.amount) : "",
            rest: service.deposit.amount ? this.money(service.price - service.deposit.amount) : "",
            request: service.requires_approval,
        };
    }

    get needsSignIn() {
        return !this.props.allowGuest && !this.customer;
    }

    money(amount) {
        const { symbol, position, digits } = this.props.currency;
        const value = Number(amount).toLocaleString(this.locale, {
            minimumFractionDigits: digits,
            maximumFractionDigits: digits,
        });
        return position === "before" ? `${symbol}${value}` : `${value} ${symbol}`;
    }

    duration(minutes) {
        const hours = Math.floor(minutes / 60);
        const rest = minutes % 60;
        return [hours ? `${hours} h` : "", rest || !hours ? `${rest} min` : ""].filter(Boolean).join(" ");
    }

    // ------------------------------------------------------------------
    // Steps
    // ------------------------------------------------------------------

    onChooseService(ev) {
        const link = ev.target.closest(".o_booking_choose_service");
        if (!link) {
            return;
        }
        const serviceId = Number(link.dataset.serviceId);
        if (!this.state.services.some((s) => s.id === serviceId)) {
            return;
        }
        ev.preventDefault();
        this.selectService(serviceId);
        const card = document.getElementById("booking");
        if (card) {
            card.scrollIntoView({ behavior: "smooth", block: "start" });
        }
    }

    async selectService(serviceId, { keepDependants = false } = {}) {
        this.state.serviceId = serviceId;
        this.state.providerId = null;
        this.resetChoice();
        if (!keepDependants) {
            this.resetDependants();
        }
        if (this.props.showProviders && this.serviceProviders.length > 1) {
            this.state.step = "provider";
            return;
        }
        if (this.props.showProviders && this.serviceProviders.length === 1) {
            this.state.providerId = this.serviceProviders[0].id;
        }
        await this.goToDates();
    }

    async selectProvider(providerId) {
        this.state.providerId = providerId;
        this.resetChoice();
        await this.goToDates();
    }

    async goToDates() {
        if (this.service && this.service.for_dependant && !this.state.dependantsChosen) {
            this.state.step = "dependant";
            return;
        }
        this.state.step = "date";
        await this.loadSlots();
        const byDate = this.slotsByDate;
        if (!this.state.date) {
            const first = Object.keys(byDate).sort()[0];
            if (!first && this.canGoForward) {
                // nothing left this month: show the next one
                await this.changeMonth(1);
            }
        }
    }

    resetChoice() {
        this.state.date = null;
        this.state.start = null;
        this.state.message = null;
        this.state.notice = null;
        this.state.alternatives = [];
        this.state.errors = {};
        this.state.waitlist.done = null;
    }

    async changeMonth(delta) {
        this.state.month = DateTime.fromISO(this.state.month).plus({ months: delta }).toISODate();
        this.state.date = null;
        await this.loadSlots();
    }

    selectDate(cell) {
        if (!cell || !cell.open) {
            return;
        }
        this.state.date = cell.iso;
        this.state.start = null;
        this.state.notice = null;
        this.state.step = cell.available ? "time" : "full";
    }

    selectTime(slot) {
        this.state.start = slot.start;
        this.state.notice = null;
        this.state.message = null;
        this.state.alternatives = [];
        this.state.step = "contact";
    }

    back() {
        const beforeDependant = this.props.showProviders && this.serviceProviders.length > 1 ? "provider" : "service";
        if (this.state.step === "date" && this.service && this.service.for_dependant) {
            this.state.dependantsChosen = false;
        }
        const previous = {
            provider: "service",
            dependant: beforeDependant,
            date: this.service && this.service.for_dependant ? "dependant" : beforeDependant,
            time: "date",
            full: "date",
            contact: "time",
            waitlist: this.state.date && this.slotsByDate[this.state.date] ? "time" : "date",
        };
        this.state.message = null;
        this.state.step = previous[this.state.step] || "service";
    }

    openWaitlist() {
        this.state.errors = {};
        this.state.message = null;
        this.state.step = "waitlist";
    }

    // ------------------------------------------------------------------
    // "It's me": a returning customer proves who they are with a code
    // ------------------------------------------------------------------

    get storageKey() {
        return `self_serve_booking.session.${this.props.slug}`;
    }

    restoreVerified() {
        try {
            const saved = JSON.parse(window.sessionStorage.getItem(this.storageKey) || "null");
            return saved && Date.parse(saved.expiresAt) > Date.now() + 60000 ? saved : null;
        } catch {
            return null;
        }
    }

    get customer() {
        return this.props.customer || (this.state.verified && this.state.verified.customer) || null;
    }

    openVerify() {
        Object.assign(this.state.verify, {
            open: true, stage: "ask", code: "", errors: {}, message: null,
            email: this.state.form.email.trim(), phone: this.state.form.phone.trim(),
        });
    }

    async sendCode() {
        const verify = this.state.verify;
        verify.sending = true;
        verify.errors = {};
        verify.message = null;
        const identity = { email: verify.email.trim() || null, phone: verify.phone.trim() || null };
        const { status, data } = await this.api(`/pages/${this.props.slug}/session`, {
            method: "POST", body: identity,
        });
        verify.sending = false;
        if (status === 202) {
            verify.stage = "code";
            verify.message = identity.email
                ? _t("If we know %s, a 6-digit code is on its way there.", identity.email)
                : _t("If we know %s, a 6-digit code is on its way by text message.", identity.phone);
            return;
        }
        verify.errors = data.fields || {};
        verify.message = Object.values(verify.errors)[0] || data.message || _t("Something went wrong. Please try again.");
    }

    async checkCode() {
        const verify = this.state.verify;
        verify.sending = true;
        verify.message = null;
        const { status, data } = await this.api(`/pages/${this.props.slug}/session/verify`, {
            method: "POST",
            body: { email: verify.email.trim() || null, phone: verify.phone.trim() || null, code: verify.code.trim() },
        });
        verify.sending = false;
        if (status !== 200) {
            verify.message = data.message || _t("This code is wrong or has expired.");
            return;
        }
        this.state.verified = { token: data.token, expiresAt: data.expires_at, customer: data.customer };
        try {
            window.sessionStorage.setItem(this.storageKey, JSON.stringify(this.state.verified));
        } catch {
            // private browsing: the proof lasts as long as the page
        }
        verify.open = false;
        Object.assign(this.state.form, {
            name: data.customer.name || "", email: data.customer.email || "", phone: data.customer.phone || "",
        });
    }

    forgetVerified() {
        this.state.verified = null;
        try {
            window.sessionStorage.removeItem(this.storageKey);
        } catch {
            // nothing stored
        }
    }

    customerPayload() {
        if (this.customer) {
            return undefined;
        }
        const { name, email, phone } = this.state.form;
        return { name: name.trim(), email: email.trim() || null, phone: phone.trim() || null };
    }

    showErrors(status, data) {
        if (status === 401 && this.state.verified) {
            // the code's proof expired: book as a guest, or confirm again
            this.forgetVerified();
        }
        const errors = {};
        for (const [path, message] of Object.entries(data.fields || {})) {
            const field = path.replace(/^customer\./, "");
            errors[field] = this.fieldError(field, message);
        }
        if (errors.email && /e-mail or a phone/.test((data.fields || {})["customer.email"] || "")) {
            // either will do: say it under both
            errors.email = errors.phone = _t("Enter an e-mail address or a phone number (or both).");
        }
        this.state.errors = errors;
        this.focusFirstError(errors);
        if (status === 429) {
            this.state.message = data.message;
        } else if (status === 403) {
            this.state.message = data.message || _t("Please sign in to book.");
        } else if (errors.start) {
            this.state.message = _t("This time cannot be booked: %s. Please pick another one.", errors.start);
        } else if (Object.keys(errors).length) {
            this.state.message = _t("Please check the highlighted fields.");
        } else {
            this.state.message = data.message || _t("Something went wrong. Please try again.");
        }
    }

    /** A field's error as a sentence: "E-mail: is not a valid e-mail address" reads "E-mail is not valid." */
    fieldError(field, message) {
        const labels = {
            name: _t("Name"), email: _t("E-mail"), phone: _t("Phone"), note: _t("Note"), address: _t("Address"),
            time_from: _t("From"), time_to: _t("Until"), start: _t("Time"),
        };
        const text = (message || "").trim().replace(/\.$/, "");
        if (!labels[field]) {
            return text.charAt(0).toUpperCase() + text.slice(1) + ".";
        }
        return `${labels[field]} ${text}.`;
    }

    focusFirstError(errors) {
        const order = ["name", "email", "phone", "address", "note", "time_from", "time_to"];
        const first = order.find((field) => errors[field]);
        if (first) {
            // after the render that marks it invalid
            setTimeout(() => {
                const input = document.querySelector(`.o_booking_widget [data-field='${first}']`);
                if (input) {
                    // with its label and message, below the website's header (focus alone puts it under it)
                    input.focus({ preventScroll: true });
                    revealBelowHeader(input.parentElement);
                }
            });
        }
    }

    /**
     * Send a booking or waitlist request, once at a time: the service, the
     * provider, the customer and the note of the form, with ``fields``.
     * Returns the API's answer, or null while another request is on its way.
     */
    async submitRequest(path, fields) {
        if (this.state.submitting) {
            return null;
        }
        this.state.submitting = true;
        this.state.errors = {};
        this.state.message = null;
        this.state.alternatives = [];
        return this.api(`/pages/${this.props.slug}/${path}`, {
            method: "POST",
            auth: true,
            idempotent: true,
            body: {
                service_id: this.state.serviceId,
                provider_id: this.state.providerId || null,
                ...fields,
                customer: this.customerPayload(),
                note: this.state.form.note.trim() || null,
            },
        });
    }

    async submitBooking() {
        const fields = { start: this.state.start };
        if (this.service && this.service.for_dependant) {
            fields.dependant_ids = this.bookingDependantIds;
        }
        if (this.atCustomer) {
            fields.address = this.state.form.address.trim() || null;
        }
        const answer = await this.submitRequest("bookings", fields);
        if (!answer) {
            return;
        }
        const { status, data } = answer;
        if (status === 201) {
            if (this.state.dependantQueue.length > 1 && !data.booking.payment_url) {
                this.nextDependant(data.booking);
                return;
            }
            window.location.assign(data.booking.payment_url || data.booking.confirmation_url);
            return;
        }
        this.state.submitting = false;
        if (status === 409) {
            this.state.message = data.message;
            this.state.alternatives = (data.alternatives || []).map((slot) => ({
                ...slot,
                label: this.whenLabel(slot.start),
            }));
            this.loadSlots();
            return;
        }
        this.showErrors(status, data);
    }

    async pickAlternative(slot) {
        const day = this.localDate(slot.start);
        const month = DateTime.fromISO(day).startOf("month").toISODate();
        if (month !== this.state.month) {
            this.state.month = month;
        }
        this.state.date = day;
        this.state.alternatives = [];
        this.state.message = null;
        await this.loadSlots();
        this.state.start = slot.start;
        this.state.step = "contact";
    }

    async submitWaitlist() {
        const { timeFrom, timeTo } = this.state.waitlist;
        const fields = { date: this.state.date, time_from: timeFrom || null, time_to: timeTo || null };
        if (this.atCustomer) {
            // an offered time is booked at this address: the waitlist needs it as a booking does
            fields.address = this.state.form.address.trim() || null;
        }
        const answer = await this.submitRequest("waitlist", fields);
        if (!answer) {
            return;
        }
        const { status, data } = answer;
        this.state.submitting = false;
        if (status === 201) {
            this.state.waitlist.done = data.waitlist.reference;
            return;
        }
        this.showErrors(status, data);
    }

    // ------------------------------------------------------------------
    // Who the booking is for: the customer's pets, children...
    // ------------------------------------------------------------------

    get serviceDependants() {
        const service = this.service;
        if (!service || !service.for_dependant) {
            return [];
        }
        return (this.props.dependants || []).filter((d) => (service.dependant_kinds || []).includes(d.kind));
    }

    /** The dependants of the booking being made: all chosen ones together, or the next one of a series. */
    get bookingDependantIds() {
        if (!this.service || !this.service.for_dependant) {
            return [];
        }
        if (this.state.dependantMode === "separate") {
            return this.state.dependantQueue.slice(0, 1);
        }
        return this.state.dependantIds;
    }

    get bookingDependantNames() {
        const names = this.bookingDependantIds.map((id) => (this.props.dependants || []).find((d) => d.id === id))
            .filter(Boolean).map((d) => d.name);
        return names.join(", ");
    }

    get canBookTogether() {
        return this.service && this.service.max_dependants > 1 &&
            this.state.dependantIds.length <= this.service.max_dependants;
    }

    resetDependants() {
        this.state.dependantIds = [];
        this.state.dependantMode = "together";
        this.state.dependantsChosen = false;
        this.state.dependantQueue = [];
        this.state.bookedForOthers = [];
    }

    toggleDependant(dependantId) {
        const ids = this.state.dependantIds;
        this.state.dependantIds = ids.includes(dependantId) ? ids.filter((id) => id !== dependantId)
            : [...ids, dependantId];
    }

    async confirmDependants() {
        if (!this.state.dependantIds.length) {
            return;
        }
        if (this.state.dependantIds.length === 1 || !this.canBookTogether) {
            this.state.dependantMode = this.state.dependantIds.length === 1 ? "together" : "separate";
        }
        this.state.dependantQueue = this.state.dependantMode === "separate" ? [...this.state.dependantIds] : [];
        this.state.dependantsChosen = true;
        this.resetChoice();
        await this.goToDates();
    }

    /** One booking of a series (a booking each) is made: on to the next dependant's time. */
    async nextDependant(booking) {
        const done = this.bookingDependantNames;
        this.state.bookedForOthers = [...this.state.bookedForOthers, { reference: booking.reference, name: done,
                                                                         url: booking.confirmation_url }];
        this.state.dependantQueue = this.state.dependantQueue.slice(1);
        this.state.submitting = false;
        this.resetChoice();
        this.state.notice = _t("Booked for %(done)s (%(reference)s). Now choose a time for %(next)s.", {
            done, reference: booking.reference, next: this.bookingDependantNames,
        });
        this.state.step = "date";
        await this.loadSlots();
    }

    // ------------------------------------------------------------------
    // Live availability
    // ------------------------------------------------------------------

    onAvailability(payload) {
        if (!payload || payload.page_id !== this.props.pageId || !this.service) {
            return;
        }
        const month = DateTime.fromISO(this.state.month);
        const touched = (payload.dates || []).some((day) => DateTime.fromISO(day).hasSame(month, "month"));
        if (touched && ["date", "time", "full", "contact"].includes(this.state.step)) {
            clearTimeout(this.refreshTimer);
            this.refreshTimer = setTimeout(() => this.loadSlots(), 150);
        }
    }

    onVisibility() {
        if (document.visibilityState === "visible" && this.service && this.state.step !== "service") {
            this.loadSlots();
        }
    }
}

registry.category("public_components").add("self_serve_booking.booking_widget", BookingWidget);
