//! The frame every page shares: the clinic's name, who is signed in, sign-out, the main
//! region the page fills, and the stylesheet and script compiled into the binary.

use maud::{DOCTYPE, Markup, html};

use crate::assets;

/// Who a page is laid out for: patients on phones, the front desk on a wide screen.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum Width {
    Phone,
    Desk,
}

/// The person signed in, as the header shows them.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct Who {
    /// Masked (`+65****4567`); `None` for a token without a phone (an external login).
    pub phone: Option<String>,
    pub staff: bool,
}

pub struct Frame<'a> {
    pub clinic: &'a str,
    /// The page's own title; the clinic's name follows it in the tab.
    pub title: &'a str,
    pub width: Width,
    pub who: Option<&'a Who>,
}

pub fn page(frame: &Frame<'_>, main: Markup) -> Markup {
    let class = match frame.width {
        Width::Phone => "phone",
        Width::Desk => "desk",
    };
    html! {
        (DOCTYPE)
        html lang="en" {
            head {
                meta charset="utf-8";
                meta name="viewport" content="width=device-width, initial-scale=1";
                title { (frame.title) " · " (frame.clinic) }
                link rel="stylesheet" href=(assets::STYLESHEET.path);
                script src=(assets::SCRIPT.path) defer {}
            }
            body class=(class) {
                a.skip href="#main" { "Skip to content" }
                header.top {
                    a.clinic href="/" { (frame.clinic) }
                    nav aria-label="Account" {
                        @match frame.who {
                            Some(who) => {
                                @if who.staff { a href="/desk" { "Desk" } }
                                a href="/appointments" { "My appointments" }
                                span.who {
                                    @match &who.phone {
                                        Some(phone) => { "Signed in as " (phone) }
                                        None => { "Signed in" }
                                    }
                                }
                                form method="post" action="/sign-out" {
                                    button.link type="submit" { "Sign out" }
                                }
                            }
                            None => { a href="/sign-in" { "Sign in" } }
                        }
                    }
                }
                main #main { (main) }
                footer.bottom { a href="/help" { "Questions about our texts?" } }
            }
        }
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn a_signed_in_patient_sees_a_sign_out_button_and_no_desk_link() {
        let who = Who { phone: Some("+65****4567".into()), staff: false };
        let frame =
            Frame { clinic: "Gabriel Family Clinic", title: "Book", width: Width::Phone, who: Some(&who) };
        let html = page(&frame, html! { p { "hello" } }).into_string();
        assert!(html.contains("<title>Book · Gabriel Family Clinic</title>"));
        assert!(html.contains(r#"action="/sign-out""#));
        assert!(!html.contains(r#"href="/desk""#));
        assert!(html.contains("Signed in as +65****4567"));
    }
}
