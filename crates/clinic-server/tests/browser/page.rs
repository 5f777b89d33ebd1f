//! `Browser`: one Chromium session at one window size, driven synchronously so that the
//! tests read like what a person does: open, fill by label, press, wait, look.

use std::future::Future;
use std::path::{Path, PathBuf};
use std::time::Duration;

use fantoccini::actions::{InputSource, KeyAction, KeyActions};
use fantoccini::cookies::Cookie;
use fantoccini::elements::Element;
use fantoccini::error::CmdError;
use fantoccini::key::Key;
use fantoccini::{Client, ClientBuilder, Locator};
use hyper_util::client::legacy::connect::HttpConnector;
use serde_json::Value;
use tokio::runtime::Runtime;

use crate::driver::{driver, fresh_profile};

/// A viewport's size in CSS pixels.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub struct Size {
    pub width: u32,
    pub height: u32,
}

/// The patient's page is phone-first.
pub const PHONE: Size = Size { width: 360, height: 740 };
/// The reception desk's screen.
pub const DESK: Size = Size { width: 1280, height: 800 };

/// How long a wait for the page may take before the test fails.
const PATIENCE: Duration = Duration::from_secs(15);
/// How often a wait looks again.
const LOOK_EVERY: Duration = Duration::from_millis(50);

pub struct Browser {
    pub size: Size,
    client: Option<Client>,
    runtime: Runtime,
    profile: PathBuf,
}

impl Browser {
    /// A new headless Chromium whose viewport is `size` (its own profile, no cookies), at
    /// `url`. Below 600 px wide it is a phone: touch, and a page without
    /// `<meta name="viewport">` is laid out 980 px wide, as phones do.
    pub fn open(url: &str, size: Size) -> Self {
        let driver = driver();
        let runtime = tokio::runtime::Builder::new_current_thread().enable_all().build().expect("a runtime");
        let profile = fresh_profile();
        // A picture of an earlier failure of this test would mislead.
        let _ = std::fs::remove_file(target_dir().join("screenshots").join(failure_screenshot()));
        let mut builder = ClientBuilder::new(HttpConnector::new());
        builder.capabilities(driver.capabilities(size.width, size.height, &profile));
        let client = runtime
            .block_on(builder.connect(&driver.url))
            .unwrap_or_else(|e| panic!("start a Chromium session at {}: {e}", driver.url));
        let browser = Self { size, client: Some(client), runtime, profile };
        browser.goto(url);
        browser
    }

    pub fn client(&self) -> &Client {
        self.client.as_ref().expect("open until dropped")
    }

    /// Runs a future of the WebDriver client to completion (for what the helpers lack).
    pub fn block_on<T>(&self, future: impl Future<Output = T>) -> T {
        self.runtime.block_on(future)
    }

    fn run<T>(&self, what: &str, future: impl Future<Output = Result<T, CmdError>>) -> T {
        self.block_on(future).unwrap_or_else(|e| panic!("{what}: {e}"))
    }

    /// Navigates and waits for the page to load.
    pub fn goto(&self, url: &str) {
        self.run(&format!("open {url}"), self.client().goto(url));
    }

    /// The current URL's path, e.g. `/desk`.
    pub fn path(&self) -> String {
        self.run("read the URL", self.client().current_url()).path().to_owned()
    }

    /// The HTTP status of the page shown (the Navigation Timing entry's).
    pub fn status(&self) -> u16 {
        let status =
            self.script("return performance.getEntriesByType('navigation')[0].responseStatus", vec![]);
        status.as_u64().and_then(|s| u16::try_from(s).ok()).expect("a status")
    }

    /// Runs `script` in the page (`arguments[i]` are `args`); what it returns.
    pub fn script(&self, script: &str, args: Vec<Value>) -> Value {
        self.run("run a script", self.client().execute(script, args))
    }

    /// The element `css` selects, once there is one.
    pub fn wait_for(&self, css: &str) -> Element {
        self.wait_for_locator(css, Locator::Css(css))
    }

    /// Waits until the page's text contains `text`.
    pub fn wait_for_text(&self, text: &str) {
        let xpath = format!("//body[contains(normalize-space(.), {})]", xpath_literal(text));
        self.wait_for_locator(&format!("the text {text:?}"), Locator::XPath(&xpath));
    }

    /// Waits until the URL's path is `path`.
    pub fn wait_for_path(&self, path: &str) {
        let mut url = self.run("read the URL", self.client().current_url());
        url.set_path(path);
        url.set_query(None);
        let wait = self.client().wait().at_most(PATIENCE).every(LOOK_EVERY).for_url(&url);
        self.block_on(wait).unwrap_or_else(|e| panic!("waiting for {path} (at {}): {e}", self.path()));
    }

    fn wait_for_locator(&self, what: &str, locator: Locator<'_>) -> Element {
        let wait = self.client().wait().at_most(PATIENCE).every(LOOK_EVERY).for_element(locator);
        self.block_on(wait).unwrap_or_else(|e| panic!("waiting for {what} on {}: {e}", self.path()))
    }

    /// The text of the element `css` selects (waiting for it).
    pub fn text(&self, css: &str) -> String {
        let element = self.wait_for(css);
        self.run(&format!("read {css}"), element.text())
    }

    /// The form control labelled `label` (a `<label>` whose text contains it).
    pub fn field(&self, label: &str) -> Element {
        let xpath = format!("//label[contains(normalize-space(.), {})]", xpath_literal(label));
        let labels = self.run("find labels", self.client().find_all(Locator::XPath(&xpath)));
        let [label_element] = labels.as_slice() else {
            panic!("{} labels contain {label:?} on {}", labels.len(), self.path());
        };
        match self.run("read the label", label_element.attr("for")) {
            Some(id) => {
                self.run(&format!("find #{id}, labelled {label:?}"), self.client().find(Locator::Id(&id)))
            }
            None => self.run(
                &format!("find the control inside the label {label:?}"),
                label_element.find(Locator::Css("input, select, textarea")),
            ),
        }
    }

    /// Types `value` into the field labelled `label`, replacing what it held.
    pub fn fill(&self, label: &str, value: &str) {
        let field = self.field(label);
        self.run(&format!("clear {label:?}"), field.clear());
        self.run(&format!("type into {label:?}"), field.send_keys(value));
    }

    /// Picks the option reading `option` in the list labelled `label`.
    pub fn choose(&self, label: &str, option: &str) {
        let list = self.field(label);
        self.run(&format!("choose {option:?} in {label:?}"), list.select_by_label(option));
    }

    /// Clicks the button reading `text`, and waits for the page it leads to to load.
    pub fn press(&self, text: &str) {
        let literal = xpath_literal(text);
        let xpath =
            format!("//button[normalize-space(.)={literal}] | //input[@type='submit' and @value={literal}]");
        let button = self.wait_for_locator(&format!("the button {text:?}"), Locator::XPath(&xpath));
        self.run(&format!("press {text:?}"), button.click());
    }

    /// Types `keys` wherever the focus is, as at a keyboard: each key down and up.
    /// `fantoccini::key::Key`s are keys too: `browser.keys(&Key::Enter)`.
    pub fn keys(&self, keys: &str) {
        let typing = keys.chars().fold(KeyActions::new("keyboard".into()), |typing, value| {
            typing.then(KeyAction::Down { value }).then(KeyAction::Up { value })
        });
        self.run(&format!("type {keys:?}"), self.client().perform_actions(typing));
    }

    /// What has the focus, by the name a person hears: a field's label, else its text.
    pub fn focused(&self) -> String {
        let name = self.script(
            "const e = document.activeElement;
             const named = e.labels && e.labels.length ? e.labels[0] : e;
             return (named.innerText || e.value || e.tagName).trim()",
            vec![],
        );
        name.as_str().unwrap_or_default().to_owned()
    }

    /// Presses Tab until what has the focus is named `name` (at most 30 times), as a
    /// keyboard user moves through the page; panics listing the stops on the way.
    pub fn tab_to(&self, name: &str) {
        let mut stops = Vec::new();
        while stops.len() < 30 {
            self.keys(&Key::Tab);
            let now = self.focused();
            if now == name {
                return;
            }
            stops.push(now);
        }
        panic!("Tab never reaches {name:?} on {}; it stops at {stops:?}", self.path());
    }

    /// The cookie `name` as the browser holds it (HttpOnly ones too: WebDriver sees all).
    pub fn cookie(&self, name: &str) -> Option<Cookie<'static>> {
        let cookies = self.run("read cookies", self.client().get_all_cookies());
        cookies.into_iter().find(|cookie| cookie.name() == name)
    }

    /// Saves what the window shows as `<target>/screenshots/<name>-<width>x<height>.png`.
    pub fn screenshot(&self, name: &str) -> PathBuf {
        let png = self.run("take a screenshot", self.client().screenshot());
        let file = format!("{name}-{}x{}.png", self.size.width, self.size.height);
        save_screenshot(&file, &png).unwrap_or_else(|e| panic!("save the screenshot {file}: {e}"))
    }

    fn picture_failure(&self) -> Option<PathBuf> {
        let png = self.runtime.block_on(self.client.as_ref()?.screenshot()).ok()?;
        save_screenshot(&failure_screenshot(), &png).ok()
    }
}

impl Drop for Browser {
    fn drop(&mut self) {
        // What the page showed when a test failed, for whoever reads the failure.
        if let Some(path) = std::thread::panicking().then(|| self.picture_failure()).flatten() {
            eprintln!("the page when the test failed: {}", path.display());
        }
        if let Some(client) = self.client.take() {
            let _ = self.runtime.block_on(client.close());
        }
        let _ = std::fs::remove_dir_all(&self.profile);
    }
}

/// `failed-<module>-<test>.png`: libtest names each test's thread after the test.
fn failure_screenshot() -> String {
    format!("failed-{}.png", std::thread::current().name().unwrap_or("test").replace("::", "-"))
}

fn save_screenshot(file: &str, png: &[u8]) -> std::io::Result<PathBuf> {
    let dir = target_dir().join("screenshots");
    std::fs::create_dir_all(&dir)?;
    let path = dir.join(file);
    std::fs::write(&path, png)?;
    Ok(path)
}

/// The workspace's target dir (`CARGO_TARGET_DIR`, or `<workspace>/target`).
pub fn target_dir() -> &'static Path {
    Path::new(env!("CARGO_TARGET_TMPDIR")).parent().expect("CARGO_TARGET_TMPDIR is <target>/tmp")
}

/// `text` as an XPath 1.0 string literal.
fn xpath_literal(text: &str) -> String {
    if !text.contains('\'') {
        format!("'{text}'")
    } else if !text.contains('"') {
        format!("\"{text}\"")
    } else {
        let parts: Vec<String> = text.split('\'').map(|part| format!("'{part}'")).collect();
        format!("concat({})", parts.join(", \"'\", "))
    }
}
