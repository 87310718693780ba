/** @odoo-module **/
/**
 * The guided setup: Odoo's onboarding panel for the booking page of the current company.
 *
 * The steps are rendered by the server with Odoo's onboarding step template
 * (`onboarding.onboarding.booking_setup_panel`); each step's link calls its
 * opening method and shows the step's form in a dialog, after which the panel
 * is loaded again (steps done, the page's state). The forms chain to the next
 * step by themselves (Save & Continue), so the panel reloads once the merchant
 * is back.
 */
import { _t } from "@web/core/l10n/translation";
import { ConfirmationDialog } from "@web/core/confirmation_dialog/confirmation_dialog";
import { registry } from "@web/core/registry";
import { useService } from "@web/core/utils/hooks";
import { KeepLast } from "@web/core/utils/concurrency";
import { useSetupAction } from "@web/search/action_hook";
import { Layout } from "@web/search/layout";
import { getDefaultConfig } from "@web/views/view";

import { Component, markup, onWillStart, useState, useSubEnv } from "@odoo/owl";

export class BookingSetup extends Component {
    static components = { Layout };
    static template = "self_serve_booking.BookingSetup";
    static props = ["*"];

    setup() {
        useSubEnv({ config: { ...getDefaultConfig(), ...this.env.config } });
        useSetupAction();
        this.orm = useService("orm");
        this.action = useService("action");
        this.dialog = useService("dialog");
        this.keepLast = new KeepLast();
        this.state = useState({ html: "", state: "not_done", page: false });
        onWillStart(() => this.load());
    }

    async load() {
        const panel = await this.keepLast.add(
            this.orm.call("onboarding.onboarding", "booking_setup_panel", [])
        );
        Object.assign(this.state, { ...panel, html: markup(panel.html) });
    }

    /** A step's title or button: open its screen; the panel reloads when it closes. */
    async onStepClick(ev) {
        const link = ev.target.closest("a[type='action']");
        if (!link || !ev.currentTarget.contains(link)) {
            return;
        }
        ev.preventDefault();
        ev.stopPropagation();
        const action = await this.orm.call(link.dataset.model, link.dataset.method, []);
        if (action) {
            await this.action.doAction(action, { onClose: () => this.load() });
        }
    }

    openHome() {
        return this.action.doAction("self_serve_booking.booking_home_action", { clearBreadcrumbs: true });
    }

    openPage() {
        return this.action.doAction({
            type: "ir.actions.act_window",
            name: this.state.page.name,
            res_model: "booking.page",
            res_id: this.state.page.id,
            views: [[false, "form"]],
        });
    }

    hidePanel() {
        this.dialog.add(ConfirmationDialog, {
            title: _t("Hide the guided setup?"),
            body: _t(
                "The Booking app then opens on the calendar. The setup stays under Configuration → Guided Setup."
            ),
            confirmLabel: _t("Hide it"),
            confirm: async () => {
                await this.orm.call("onboarding.onboarding", "action_close_panel_booking_setup", []);
                await this.openHome();
            },
            cancel: () => {},
        });
    }
}

registry.category("actions").add("self_serve_booking.setup", BookingSetup);
