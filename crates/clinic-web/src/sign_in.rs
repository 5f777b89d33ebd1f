//! Signing in: a phone number, then the code texted to it.

use maud::{Markup, html};

use crate::form::{Field, Problems, notice};
use crate::layout::{Frame, page};
use crate::link::sign_in_href;

/// What both steps carry along.
pub struct SignInPage<'a> {
    pub frame: Frame<'a>,
    /// Where to go once signed in (a path on this site).
    pub next: &'a str,
    pub problems: &'a Problems,
    pub notice: Option<&'a str>,
    /// Dev mode: codes are printed in the terminal running the service.
    pub codes_in_terminal: bool,
}

/// Step one: the phone to text a code to.
pub fn phone_form(sign_in: &SignInPage<'_>, phone: &str) -> Markup {
    let field = Field::new("phone", "Phone number", "tel")
        .value(phone)
        .hint("With the country code, e.g. +6591234567")
        .autocomplete("tel");
    page(
        &sign_in.frame,
        html! {
            h1 { "Sign in" }
            p { "We'll text a 6-digit code to your phone. No password needed." }
            (notice(sign_in.notice))
            form method="post" action="/sign-in" {
                input type="hidden" name="next" value=(sign_in.next);
                (field.render(sign_in.problems))
                button type="submit" { "Text me a code" }
            }
            (terminal_hint(sign_in.codes_in_terminal))
        },
    )
}

/// Step two: the code, for the phone given.
pub fn code_form(sign_in: &SignInPage<'_>, phone: &str) -> Markup {
    let field =
        Field::new("code", "Code", "text").hint("The 6 digits in the text").autocomplete("one-time-code");
    page(
        &sign_in.frame,
        html! {
            h1 { "Enter your code" }
            p { "We texted a code to " strong { (phone) } ". It works for 5 minutes." }
            (notice(sign_in.notice))
            form method="post" action="/sign-in/code" {
                input type="hidden" name="next" value=(sign_in.next);
                input type="hidden" name="phone" value=(phone);
                (field.render(sign_in.problems))
                button type="submit" { "Sign in" }
            }
            form method="post" action="/sign-in" {
                input type="hidden" name="next" value=(sign_in.next);
                input type="hidden" name="phone" value=(phone);
                button.secondary type="submit" { "Text me a new code" }
            }
            p { a href=(sign_in_href(sign_in.next)) { "Use another number" } }
            (terminal_hint(sign_in.codes_in_terminal))
        },
    )
}

fn terminal_hint(shown: bool) -> Markup {
    html! {
        @if shown {
            p.muted { "Dev mode: no texts are sent; the code is printed in the terminal running clinic." }
        }
    }
}
