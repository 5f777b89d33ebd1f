//! Accessibility by axe-core (vendored in `vendor/`, MPL-2.0), run inside the page.

use serde_json::Value;

use crate::page::Browser;

const AXE: &str = include_str!("vendor/axe.min.js");

/// Runs axe-core on the page as it is now; what it finds of impact serious or critical,
/// one line each: `rule (impact): help [selectors]`.
pub fn serious_violations(browser: &Browser) -> Vec<String> {
    browser.script(AXE, vec![]);
    let run = r#"const done = arguments[arguments.length - 1];
        axe.run(document, { resultTypes: ["violations"] })
            .then(results => done(results.violations
                .filter(v => v.impact === "serious" || v.impact === "critical")
                .map(v => `${v.id} (${v.impact}): ${v.help} ${JSON.stringify(v.nodes.map(n => n.target))}`)))
            .catch(error => done(["axe failed: " + error]));"#;
    let found = browser
        .block_on(browser.client().execute_async(run, vec![]))
        .unwrap_or_else(|e| panic!("run axe-core: {e}"));
    match found {
        Value::Array(lines) => {
            lines.iter().map(|line| line.as_str().unwrap_or_default().to_owned()).collect()
        }
        other => panic!("axe-core answered {other}"),
    }
}

/// Fails listing every serious or critical violation axe-core finds on the page.
pub fn assert_accessible(browser: &Browser) {
    let violations = serious_violations(browser);
    assert!(
        violations.is_empty(),
        "{} at {}x{} has accessibility violations:\n{}",
        browser.path(),
        browser.size.width,
        browser.size.height,
        violations.join("\n")
    );
}
