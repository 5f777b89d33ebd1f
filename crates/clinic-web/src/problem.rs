//! Pages for when something is in the way: the database down, a refused post, a page
//! that does not exist. Plain words and a way back; never a stack trace.

use maud::{Markup, html};

use crate::layout::{Frame, Width, page};

/// What went wrong, in the words a patient or receptionist reads.
pub struct Problem<'a> {
    pub title: &'a str,
    pub message: &'a str,
}

/// The database is unavailable: nothing was lost, try again shortly.
pub const TRY_AGAIN: Problem<'static> = Problem {
    title: "Try again in a minute",
    message: "We can't reach our records just now. Nothing you did was lost; please try again in a minute.",
};

pub fn problem_page(clinic: &str, problem: &Problem<'_>) -> Markup {
    let frame = Frame { clinic, title: problem.title, width: Width::Phone, who: None };
    page(
        &frame,
        html! {
            h1 { (problem.title) }
            p { (problem.message) }
            p { a href="/" { "Back to the start" } }
        },
    )
}
