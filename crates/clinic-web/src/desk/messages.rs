//! What patients sent the clinic (the inbox of replies no rule handled), and the
//! clinic's messages that failed, with why.

use clinic_domain::inbound::InboxEntry;
use clinic_domain::notification::Notification;
use clinic_domain::phone::mask_phone_numbers;
use maud::{Markup, html};

use super::{Desk, Part, button_form, desk_page};
use crate::when;

pub fn inbox(desk: &Desk<'_>, entries: &[InboxEntry]) -> Markup {
    desk_page(
        desk,
        Part::Inbox,
        html! {
            h1 { "Inbox" }
            p { "Texts patients sent that were not a reply the clinic acts on (C, X, STOP, START, HELP). Newest first." }
            @if entries.is_empty() {
                p.muted { "No messages." }
            } @else {
                table {
                    thead { tr { th { "Received" } th { "From" } th { "Message" } th { "Read" } } }
                    tbody {
                        @for entry in entries {
                            @let m = &entry.message;
                            tr class=[m.read_at.is_none().then_some("unread")] {
                                td { (when::moment(desk.zone, m.received_at)) }
                                td {
                                    @if let Some(name) = &entry.patient_name { (name) br; }
                                    @match &m.from { Some(phone) => (phone.masked()), None => span.muted { "unknown sender" } }
                                }
                                // A patient may quote a number: staff pages never show one whole.
                                td { (mask_phone_numbers(&m.body)) }
                                td {
                                    @match m.read_at {
                                        Some(at) => { "Read " (when::moment(desk.zone, at)) }
                                        None => (button_form(&format!("/desk/inbox/{}/read", m.id), &[],
                                            html! { "Mark read" span.visually-hidden { ", " (when::moment(desk.zone, m.received_at)) } }, "secondary")),
                                    }
                                }
                            }
                        }
                    }
                }
            }
        },
    )
}

pub fn failed(desk: &Desk<'_>, failed: &[Notification]) -> Markup {
    desk_page(
        desk,
        Part::Messages,
        html! {
            h1 { "Failed messages" }
            p { "Messages the clinic could not deliver, newest first. Call the patient if it matters." }
            @if failed.is_empty() {
                p.muted { "None failed." }
            } @else {
                table {
                    thead { tr { th { "Created" } th { "To" } th { "Type" } th { "Channel" } th { "Why it failed" } } }
                    tbody {
                        @for n in failed {
                            tr {
                                td { (when::moment(desk.zone, n.created_at)) }
                                td { @match &n.to_phone { Some(phone) => (phone.masked()), None => span.muted { "no phone" } } }
                                td { (n.kind.as_str().replace('_', " ")) }
                                td { (n.channel.as_str()) }
                                td { (reason(n)) }
                            }
                        }
                    }
                }
            }
        },
    )
}

/// The provider's code and words; the words may quote the number, so phones are masked.
fn reason(n: &Notification) -> String {
    let words = n.error_message.as_deref().map(mask_phone_numbers);
    match (n.error_code.as_deref(), words) {
        (Some(code), Some(words)) => format!("{words} (code {code})"),
        (Some(code), None) => format!("Error code {code}"),
        (None, Some(words)) => words,
        (None, None) => "No reason was given".to_owned(),
    }
}
