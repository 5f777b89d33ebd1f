//! One `chromedriver` for the whole test process, and the Chromium it starts for each
//! session: found, started on a port it picks itself, and stopped when the process ends.

use std::io::{BufRead, BufReader};
use std::os::unix::process::CommandExt;
use std::path::{Path, PathBuf};
use std::process::{Child, Command, Stdio};
use std::sync::OnceLock;
use std::sync::atomic::{AtomicUsize, Ordering};

use serde_json::{Value, json};

pub const INSTALL: &str = "the browser tests need Chromium and ChromeDriver: \
    `apt-get install chromium chromium-driver` (Debian/Ubuntu) or \
    `brew install --cask chromium chromedriver` (macOS); \
    CHROME_BIN and CHROMEDRIVER name them when they are elsewhere";

/// Where the browser and its driver are.
#[derive(Debug, PartialEq, Eq)]
pub struct Tools {
    pub chromium: PathBuf,
    pub chromedriver: PathBuf,
}

/// `CHROMEDRIVER` / `CHROME_BIN` when set, else Debian's paths, else `PATH`; an error
/// naming the install command when either is missing. `env` stands for the environment.
pub fn locate(env: impl Fn(&str) -> Option<String>) -> Result<Tools, String> {
    let find = |var: &str, debian: &str, names: &[&str]| -> Result<PathBuf, String> {
        if let Some(path) = env(var).filter(|path| !path.is_empty()) {
            return is_executable(Path::new(&path))
                .then(|| PathBuf::from(&path))
                .ok_or_else(|| format!("{var}={path} is not an executable file; {INSTALL}"));
        }
        let on_path = env("PATH").unwrap_or_default();
        std::iter::once(PathBuf::from(debian))
            .chain(
                std::env::split_paths(&on_path).flat_map(|dir| names.iter().map(move |name| dir.join(name))),
            )
            .find(|path| is_executable(path))
            .ok_or_else(|| format!("{} not found; {INSTALL}", names[0]))
    };
    Ok(Tools {
        chromium: find("CHROME_BIN", "/usr/bin/chromium", &["chromium", "chromium-browser", "chrome"])?,
        chromedriver: find("CHROMEDRIVER", "/usr/bin/chromedriver", &["chromedriver"])?,
    })
}

fn is_executable(path: &Path) -> bool {
    use std::os::unix::fs::PermissionsExt;
    path.metadata().is_ok_and(|meta| meta.is_file() && meta.permissions().mode() & 0o111 != 0)
}

/// The running driver: its URL and the browser its sessions start.
pub struct Driver {
    pub url: String,
    chromium: PathBuf,
    /// Its stdin is the watchdog's pipe: it closes when this process ends, however it
    /// ends, and the watchdog then stops the driver and every browser it started.
    _watchdog: Child,
}

/// `sh -c WATCHDOG name <chromedriver> <args>...`: runs the driver in the background and,
/// when stdin reaches EOF, stops its process group (the driver and its Chromiums). The
/// driver's output goes to our stdout, where we read the port it chose.
const WATCHDOG: &str = r#"exec 3<&0
"$@" </dev/null 3<&- &
{ read -r _ <&3; kill -TERM 0; } 2>/dev/null &
wait"#;

/// The process's driver, started on first use. Panics with the install command when
/// Chromium or ChromeDriver is missing, so a machine without them fails, never passes.
pub fn driver() -> &'static Driver {
    static DRIVER: OnceLock<Driver> = OnceLock::new();
    DRIVER.get_or_init(|| {
        let tools = locate(|name| std::env::var(name).ok()).unwrap_or_else(|missing| panic!("{missing}"));
        start(tools)
    })
}

fn start(tools: Tools) -> Driver {
    let mut watchdog = Command::new("sh")
        .args(["-c", WATCHDOG, "clinic-chromedriver-watchdog"])
        .arg(&tools.chromedriver)
        .args(["--port=0", "--allowed-ips=127.0.0.1"])
        // A group of its own, so that stopping it stops nothing of ours.
        .process_group(0)
        .stdin(Stdio::piped())
        .stdout(Stdio::piped())
        .stderr(Stdio::null())
        .spawn()
        .unwrap_or_else(|e| panic!("cannot run {}: {e}; {INSTALL}", tools.chromedriver.display()));
    let mut output = BufReader::new(watchdog.stdout.take().expect("piped"));
    let mut seen = String::new();
    let port = loop {
        let mut line = String::new();
        if output.read_line(&mut line).unwrap_or(0) == 0 {
            panic!("{} exited before it listened: {seen}", tools.chromedriver.display());
        }
        // "ChromeDriver was started successfully on port 42655."
        if let Some(port) = line.trim().strip_prefix("ChromeDriver was started successfully on port ") {
            break port.trim_end_matches('.').to_owned();
        }
        seen.push_str(&line);
    };
    // The driver writes little more; drained so that it never blocks on a full pipe.
    std::thread::spawn(move || std::io::copy(&mut output, &mut std::io::sink()));
    Driver { url: format!("http://127.0.0.1:{port}"), chromium: tools.chromium, _watchdog: watchdog }
}

impl Driver {
    /// The capabilities of a new session: headless Chromium of `width`×`height` CSS
    /// pixels, with a fresh profile in `profile`, reaching nothing on the internet.
    pub fn capabilities(&self, width: u32, height: u32, profile: &Path) -> serde_json::Map<String, Value> {
        let mut args: Vec<String> = [
            "--headless",
            "--disable-gpu",
            "--disable-quic",
            "--no-first-run",
            "--disable-background-networking",
            "--disable-component-update",
            "--disable-sync",
            "--disable-dev-shm-usage",
            "--hide-scrollbars",
        ]
        .map(String::from)
        .into();
        // Chromium's sandbox refuses to run as root.
        if running_as_root() {
            args.push("--no-sandbox".into());
        }
        args.push(format!("--user-data-dir={}", profile.display()));
        // A window's size includes what headless Chromium counts as its frame, and has a
        // minimum width above a phone's; device metrics set the viewport exactly.
        let phone = width < 600;
        let metrics =
            json!({ "width": width, "height": height, "pixelRatio": 1.0, "mobile": phone, "touch": phone });
        let options =
            json!({ "binary": self.chromium, "args": args, "mobileEmulation": { "deviceMetrics": metrics } });
        let capabilities = json!({ "browserName": "chrome", "goog:chromeOptions": options });
        match capabilities {
            Value::Object(map) => map,
            _ => unreachable!("an object literal"),
        }
    }
}

fn running_as_root() -> bool {
    use std::os::unix::fs::MetadataExt;
    // /proc/self belongs to the process's effective user.
    Path::new("/proc/self").metadata().is_ok_and(|meta| meta.uid() == 0)
}

/// A fresh, empty profile directory under the target dir, for one session.
pub fn fresh_profile() -> PathBuf {
    static NEXT: AtomicUsize = AtomicUsize::new(0);
    let n = NEXT.fetch_add(1, Ordering::Relaxed);
    let dir = Path::new(env!("CARGO_TARGET_TMPDIR"))
        .join("browser-profiles")
        .join(format!("{}-{n}", std::process::id()));
    let _ = std::fs::remove_dir_all(&dir);
    std::fs::create_dir_all(&dir).expect("create a browser profile directory");
    dir
}
