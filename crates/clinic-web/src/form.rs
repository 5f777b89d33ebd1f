//! Form fields with their label and, next to them, what is wrong with what was typed:
//! the same messages the API gives in `details`.

use std::collections::BTreeMap;

use maud::{Markup, html};

/// Messages per field name, as the domain's `FieldErrors` has them.
pub type Problems = BTreeMap<String, String>;

/// One labelled input. Its `name` is its `id`.
pub struct Field<'a> {
    pub id: &'a str,
    pub label: &'a str,
    /// `text`, `tel`, `date`, `time`, `number`…
    pub kind: &'a str,
    pub value: &'a str,
    pub hint: Option<&'a str>,
    /// The browser's autofill hint (`tel`, `one-time-code`, `name`…).
    pub autocomplete: Option<&'a str>,
    pub required: bool,
    /// The earliest value a date input offers (`min`).
    pub min: Option<&'a str>,
}

impl<'a> Field<'a> {
    pub fn new(id: &'a str, label: &'a str, kind: &'a str) -> Self {
        Self { id, label, kind, value: "", hint: None, autocomplete: None, required: true, min: None }
    }

    pub fn value(self, value: &'a str) -> Self {
        Self { value, ..self }
    }

    pub fn hint(self, hint: &'a str) -> Self {
        Self { hint: Some(hint), ..self }
    }

    pub fn autocomplete(self, autocomplete: &'a str) -> Self {
        Self { autocomplete: Some(autocomplete), ..self }
    }

    pub fn min(self, min: &'a str) -> Self {
        Self { min: Some(min), ..self }
    }

    pub fn optional(self) -> Self {
        Self { required: false, ..self }
    }

    /// The input, its label, its hint and the problem `problems` has for it.
    pub fn render(&self, problems: &Problems) -> Markup {
        let problem = problems.get(self.id);
        let hint_id = format!("{}-hint", self.id);
        let problem_id = format!("{}-problem", self.id);
        let described = [self.hint.map(|_| hint_id.as_str()), problem.map(|_| problem_id.as_str())]
            .into_iter()
            .flatten()
            .collect::<Vec<_>>()
            .join(" ");
        html! {
            div.field {
                label for=(self.id) { (self.label) }
                @if let Some(hint) = self.hint { span.hint id=(hint_id) { (hint) } }
                input id=(self.id) name=(self.id) type=(self.kind) value=(self.value)
                    required[self.required] autocomplete=[self.autocomplete] min=[self.min]
                    aria-invalid=[problem.map(|_| "true")]
                    aria-describedby=[(!described.is_empty()).then_some(described.as_str())];
                @if let Some(problem) = problem { p.problem id=(problem_id) role="alert" { (problem) } }
            }
        }
    }
}

/// A message about the form as a whole (not one field), announced when it appears.
pub fn notice(message: Option<&str>) -> Markup {
    html! { @if let Some(message) = message { p.notice role="status" { (message) } } }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn a_problem_is_shown_next_to_its_field_and_tied_to_the_input() {
        let problems = Problems::from([("phone".to_owned(), "not a phone number".to_owned())]);
        let html = Field::new("phone", "Phone number", "tel").value("12<b>").render(&problems).into_string();
        assert!(html.contains(r#"aria-invalid="true""#));
        assert!(html.contains(r#"aria-describedby="phone-problem""#));
        assert!(
            html.contains(r#"<p class="problem" id="phone-problem" role="alert">not a phone number</p>"#)
        );
        assert!(html.contains(r#"value="12&lt;b&gt;""#), "values are escaped: {html}");
    }

    #[test]
    fn a_field_without_a_problem_is_not_marked_invalid() {
        let html = Field::new("code", "Code", "text").hint("6 digits").render(&Problems::new()).into_string();
        assert!(!html.contains("aria-invalid"));
        assert!(html.contains(r#"aria-describedby="code-hint""#));
    }
}
