//! Staff phones, for admins: whoever signs in with a phone registered here is staff
//! (or an admin), as `clinic staff add` registers them.

use maud::{Markup, html};

use super::{Desk, Part, desk_page};
use crate::form::Field;

/// The form as typed.
#[derive(Default)]
pub struct Adding<'a> {
    pub phone: &'a str,
    pub name: &'a str,
    pub admin: bool,
}

pub fn staff(desk: &Desk<'_>, adding: &Adding<'_>) -> Markup {
    let problems = &desk.said.problems;
    desk_page(
        desk,
        Part::Staff,
        html! {
            h1 { "Staff phones" }
            section aria-labelledby="add" {
                h2 #add { "Add a staff phone" }
                p { "They sign in at /sign-in with a code texted to this phone. Adding a phone again updates its name and role." }
                form method="post" action=(Part::Staff.path()) {
                    (Field::new("phone", "Phone", "tel").value(adding.phone)
                        .hint("With the country code: +65, then the 8 digits").autocomplete("off").render(problems))
                    (Field::new("name", "Name", "text").value(adding.name).autocomplete("off").render(problems))
                    div.check {
                        input id="admin" name="admin" type="checkbox" value="true" checked[adding.admin];
                        label for="admin" { "Admin (may add staff phones)" }
                    }
                    button type="submit" { "Add staff phone" }
                }
            }
        },
    )
}
