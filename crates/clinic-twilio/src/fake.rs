//! A fake Twilio Messages API over real HTTP on 127.0.0.1, for tests: it checks the
//! Basic credentials and the path, records every request's form fields, and answers
//! as scripted (201, Twilio error JSON, 429 with `Retry-After`, 500, or a hang).

#![allow(clippy::expect_used, clippy::unwrap_used)] // a broken fake should fail the test loudly

use std::collections::{BTreeMap, VecDeque};
use std::io::{BufRead, BufReader, Read, Write};
use std::net::{TcpListener, TcpStream};
use std::sync::atomic::{AtomicBool, AtomicU64, Ordering};
use std::sync::{Arc, Condvar, Mutex, MutexGuard};
use std::thread::JoinHandle;
use std::time::{Duration, Instant};

use base64::Engine;
use base64::engine::general_purpose::STANDARD;

pub const ACCOUNT_SID: &str = "AC0123456789abcdef0123456789abcdef";
pub const AUTH_TOKEN: &str = "fake-auth-token";

/// How the fake answers one request.
#[derive(Debug, Clone, PartialEq, Eq)]
pub enum Reply {
    /// 201 with a fresh `SM...` sid.
    Created,
    /// A Twilio error: `status` with `{"code", "message", "more_info", "status"}`.
    Error { status: u16, code: i64, message: String },
    /// 429, code 20429, with `Retry-After`.
    TooManyRequests { retry_after_secs: u64 },
    /// 500 with no Twilio body.
    ServerError,
    /// Answers nothing for this long (or until the fake stops), then 201.
    Hang(Duration),
}

impl Reply {
    pub fn error(code: i64) -> Self {
        Self::Error { status: 400, code, message: format!("Twilio error {code}") }
    }
}

/// A request as the fake saw it.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct Received {
    pub method: String,
    pub path: String,
    pub authorization: Option<String>,
    pub form: BTreeMap<String, String>,
    /// The sid the fake gave it, once it answered 201.
    pub sid: Option<String>,
}

#[derive(Default)]
struct State {
    script: VecDeque<Reply>,
    default: Option<Reply>,
    received: Vec<Received>,
    stopped: bool,
}

struct Shared {
    state: Mutex<State>,
    changed: Condvar,
    sids: AtomicU64,
}

impl Shared {
    fn lock(&self) -> MutexGuard<'_, State> {
        self.state.lock().unwrap_or_else(std::sync::PoisonError::into_inner)
    }
}

pub struct FakeTwilio {
    base_url: String,
    shared: Arc<Shared>,
    stop: Arc<AtomicBool>,
    acceptor: Option<JoinHandle<()>>,
}

impl FakeTwilio {
    /// Starts answering 201 to every well-formed, authenticated request.
    pub fn start() -> Self {
        let listener = TcpListener::bind("127.0.0.1:0").expect("bind the fake Twilio");
        let base_url = format!("http://{}", listener.local_addr().unwrap());
        let shared = Arc::new(Shared {
            state: Mutex::new(State::default()),
            changed: Condvar::new(),
            sids: AtomicU64::new(0),
        });
        let stop = Arc::new(AtomicBool::new(false));
        let acceptor = {
            let (shared, stop) = (shared.clone(), stop.clone());
            std::thread::spawn(move || {
                for stream in listener.incoming() {
                    if stop.load(Ordering::SeqCst) {
                        break;
                    }
                    let Ok(stream) = stream else { continue };
                    let shared = shared.clone();
                    std::thread::spawn(move || serve(stream, &shared));
                }
            })
        };
        Self { base_url, shared, stop, acceptor: Some(acceptor) }
    }

    /// `http://127.0.0.1:<port>`, for `TWILIO_API_BASE`.
    pub fn base_url(&self) -> &str {
        &self.base_url
    }

    /// The `Authorization` header our credentials make.
    pub fn expected_authorization() -> String {
        format!("Basic {}", STANDARD.encode(format!("{ACCOUNT_SID}:{AUTH_TOKEN}")))
    }

    /// The next requests get these replies, in order; then the default.
    pub fn script(&self, replies: impl IntoIterator<Item = Reply>) {
        self.shared.lock().script.extend(replies);
    }

    /// Every request without a scripted reply gets this one.
    pub fn always(&self, reply: Reply) {
        self.shared.lock().default = Some(reply);
    }

    pub fn received(&self) -> Vec<Received> {
        self.shared.lock().received.clone()
    }

    /// Waits until at least `count` requests arrived, or `timeout`; what arrived.
    pub fn wait_for(&self, count: usize, timeout: Duration) -> Vec<Received> {
        self.wait_until(|received| received.len() >= count, timeout)
    }

    /// Waits until `done` holds for the requests received, or `timeout`; what arrived.
    pub fn wait_until(&self, done: impl Fn(&[Received]) -> bool, timeout: Duration) -> Vec<Received> {
        let deadline = Instant::now() + timeout;
        let mut state = self.shared.lock();
        while !done(&state.received) {
            let left = deadline.saturating_duration_since(Instant::now());
            if left.is_zero() {
                break;
            }
            state = self.shared.changed.wait_timeout(state, left).unwrap_or_else(|e| e.into_inner()).0;
        }
        state.received.clone()
    }
}

impl Drop for FakeTwilio {
    fn drop(&mut self) {
        self.stop.store(true, Ordering::SeqCst);
        self.shared.lock().stopped = true;
        self.shared.changed.notify_all();
        // Wake the acceptor so it sees the stop.
        let _ = TcpStream::connect(self.base_url.trim_start_matches("http://"));
        if let Some(acceptor) = self.acceptor.take() {
            let _ = acceptor.join();
        }
    }
}

fn serve(stream: TcpStream, shared: &Shared) {
    let Some(request) = read_request(&stream) else { return };
    let expected_path = format!("/2010-04-01/Accounts/{ACCOUNT_SID}/Messages.json");
    let authorized = request.authorization.as_deref() == Some(FakeTwilio::expected_authorization().as_str());
    let well_formed = request.method == "POST" && request.path == expected_path;
    let to = request.form.get("To").cloned().unwrap_or_default();
    // Recorded on arrival, so a test can see a request the fake is still holding.
    let index = {
        let mut state = shared.lock();
        state.received.push(request);
        state.received.len() - 1
    };
    shared.changed.notify_all();
    let (status, headers, body) = if !well_formed {
        (404, Vec::new(), twilio_error(404, 20404, "The requested resource was not found"))
    } else if !authorized {
        (401, Vec::new(), twilio_error(401, 20003, "Authenticate"))
    } else {
        let reply = {
            let mut state = shared.lock();
            state.script.pop_front().or_else(|| state.default.clone()).unwrap_or(Reply::Created)
        };
        if let Reply::Hang(duration) = &reply {
            hang(shared, *duration);
        }
        match reply {
            Reply::Created | Reply::Hang(_) => {
                let sid = format!("SM{:032x}", shared.sids.fetch_add(1, Ordering::SeqCst) + 1);
                let body = format!(r#"{{"sid": "{sid}", "status": "queued", "to": "{to}"}}"#);
                shared.lock().received[index].sid = Some(sid);
                shared.changed.notify_all();
                (201, Vec::new(), body)
            }
            Reply::Error { status, code, message } => {
                (status, Vec::new(), twilio_error(status, code, &message))
            }
            Reply::TooManyRequests { retry_after_secs } => (
                429,
                vec![format!("Retry-After: {retry_after_secs}")],
                twilio_error(429, 20429, "Too Many Requests"),
            ),
            Reply::ServerError => (500, Vec::new(), "Internal Server Error".to_owned()),
        }
    };
    let mut stream = stream;
    let mut response = format!(
        "HTTP/1.1 {status} Fake\r\nContent-Type: application/json\r\nContent-Length: {}\r\nConnection: close\r\n",
        body.len()
    );
    for header in headers {
        response.push_str(&header);
        response.push_str("\r\n");
    }
    response.push_str("\r\n");
    response.push_str(&body);
    let _ = stream.write_all(response.as_bytes());
}

/// Holds the answer back for `duration`, or until the fake stops.
fn hang(shared: &Shared, duration: Duration) {
    let deadline = Instant::now() + duration;
    let mut state = shared.lock();
    while !state.stopped {
        let left = deadline.saturating_duration_since(Instant::now());
        if left.is_zero() {
            break;
        }
        state = shared.changed.wait_timeout(state, left).unwrap_or_else(|e| e.into_inner()).0;
    }
}

fn twilio_error(status: u16, code: i64, message: &str) -> String {
    format!(
        r#"{{"code": {code}, "message": "{message}", "more_info": "https://www.twilio.com/docs/errors/{code}", "status": {status}}}"#
    )
}

fn read_request(stream: &TcpStream) -> Option<Received> {
    let mut reader = BufReader::new(stream);
    let mut line = String::new();
    reader.read_line(&mut line).ok()?;
    let mut parts = line.split_whitespace();
    let (method, path) = (parts.next()?.to_owned(), parts.next()?.to_owned());
    let (mut length, mut authorization) = (0, None);
    loop {
        let mut header = String::new();
        reader.read_line(&mut header).ok()?;
        let header = header.trim_end();
        if header.is_empty() {
            break;
        }
        let (name, value) = header.split_once(':')?;
        match name.trim().to_ascii_lowercase().as_str() {
            "content-length" => length = value.trim().parse().ok()?,
            "authorization" => authorization = Some(value.trim().to_owned()),
            _ => {}
        }
    }
    let mut body = vec![0; length];
    reader.read_exact(&mut body).ok()?;
    let form = String::from_utf8_lossy(&body)
        .split('&')
        .filter(|pair| !pair.is_empty())
        .map(|pair| {
            let (key, value) = pair.split_once('=').unwrap_or((pair, ""));
            (form_decode(key), form_decode(value))
        })
        .collect();
    Some(Received { method, path, authorization, form, sid: None })
}

/// `application/x-www-form-urlencoded` decoding: `+` is a space, `%XX` a byte.
pub fn form_decode(text: &str) -> String {
    let bytes = text.as_bytes();
    let mut out = Vec::with_capacity(bytes.len());
    let mut i = 0;
    while i < bytes.len() {
        match bytes[i] {
            b'+' => out.push(b' '),
            b'%' if i + 2 < bytes.len() => match u8::from_str_radix(&text[i + 1..i + 3], 16) {
                Ok(byte) => {
                    out.push(byte);
                    i += 2;
                }
                Err(_) => out.push(b'%'),
            },
            byte => out.push(byte),
        }
        i += 1;
    }
    String::from_utf8_lossy(&out).into_owned()
}
