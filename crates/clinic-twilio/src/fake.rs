//! A fake Twilio Messages API over real HTTP on 127.0.0.1, for tests: it checks the
//! Basic credentials and the path, records every request's form fields, and answers
//! as scripted (201, Twilio error JSON, 429 with `Retry-After`, 500, a hang, or a
//! message accepted and then a fault before the answer). It lists the messages it
//! accepted, newest first, as Twilio's `GET .../Messages.json?To=` does.

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
use time::OffsetDateTime;
use time::format_description::well_known::Rfc2822;

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
    /// 201 with this sid, whether or not another message has it.
    CreatedAs(String),
    /// Accepts the message, then holds the answer until [`FakeTwilio::release`] (or
    /// this long, or the fake stops), then 201: the moment to cut the database or kill
    /// the service.
    AcceptThenHold(Duration),
    /// Accepts the message, then closes the connection without answering.
    AcceptThenDrop,
    /// Accepts the message, then answers 500.
    AcceptThenFail,
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

/// A message the fake accepted, as its list shows it.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct Accepted {
    pub sid: String,
    pub to: String,
    pub body: String,
    pub created: OffsetDateTime,
}

#[derive(Default)]
struct State {
    script: VecDeque<Reply>,
    default: Option<Reply>,
    received: Vec<Received>,
    /// Every message accepted, oldest first.
    accepted: Vec<Accepted>,
    /// `GET` requests: the lookups.
    lookups: Vec<String>,
    /// Held answers go out once this passes their number.
    released: usize,
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

    /// The messages the fake accepted, oldest first: what reached the patients.
    pub fn accepted(&self) -> Vec<Accepted> {
        self.shared.lock().accepted.clone()
    }

    /// The query strings of the lookups (`GET`s) made so far.
    pub fn lookups(&self) -> Vec<String> {
        self.shared.lock().lookups.clone()
    }

    /// Lets every answer held so far go out.
    pub fn release(&self) {
        let mut state = self.shared.lock();
        state.released = state.accepted.len();
        drop(state);
        self.shared.changed.notify_all();
    }

    /// Waits until at least `count` messages were accepted, or `timeout`; what was.
    pub fn wait_for_accepted(&self, count: usize, timeout: Duration) -> Vec<Accepted> {
        let deadline = Instant::now() + timeout;
        let mut state = self.shared.lock();
        while state.accepted.len() < count {
            let left = deadline.saturating_duration_since(Instant::now());
            if left.is_zero() {
                break;
            }
            state = self.shared.changed.wait_timeout(state, left).unwrap_or_else(|e| e.into_inner()).0;
        }
        state.accepted.clone()
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
    let messages_path = format!("/2010-04-01/Accounts/{ACCOUNT_SID}/Messages.json");
    let authorized = request.authorization.as_deref() == Some(FakeTwilio::expected_authorization().as_str());
    let (path, query) = request.path.split_once('?').unwrap_or((&request.path, ""));
    let (status, headers, body) = if path != messages_path {
        (404, Vec::new(), twilio_error(404, 20404, "The requested resource was not found"))
    } else if !authorized {
        (401, Vec::new(), twilio_error(401, 20003, "Authenticate"))
    } else if request.method == "GET" {
        let query = query.to_owned();
        shared.lock().lookups.push(query.clone());
        shared.changed.notify_all();
        (200, Vec::new(), list(shared, &messages_path, &query))
    } else if request.method == "POST" {
        match create(request, shared) {
            Some(answer) => answer,
            None => return, // dropped without an answer
        }
    } else {
        (405, Vec::new(), twilio_error(405, 20004, "Method not allowed"))
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

type Answer = (u16, Vec<String>, String);

/// A `POST`: recorded on arrival (so a test can see a request the fake is still
/// holding), then answered as scripted; `None` to drop the connection unanswered.
fn create(request: Received, shared: &Shared) -> Option<Answer> {
    let to = request.form.get("To").cloned().unwrap_or_default();
    let body = request.form.get("Body").cloned().unwrap_or_default();
    let index = {
        let mut state = shared.lock();
        state.received.push(request);
        state.received.len() - 1
    };
    shared.changed.notify_all();
    let reply = {
        let mut state = shared.lock();
        state.script.pop_front().or_else(|| state.default.clone()).unwrap_or(Reply::Created)
    };
    let accept = |sid: Option<String>| {
        let sid = sid.unwrap_or_else(|| format!("SM{:032x}", shared.sids.fetch_add(1, Ordering::SeqCst) + 1));
        let mut state = shared.lock();
        state.received[index].sid = Some(sid.clone());
        let created = OffsetDateTime::now_utc();
        state.accepted.push(Accepted { sid: sid.clone(), to: to.clone(), body: body.clone(), created });
        let number = state.accepted.len();
        drop(state);
        shared.changed.notify_all();
        (sid, number)
    };
    let created =
        |sid: &str| (201, Vec::new(), format!(r#"{{"sid": "{sid}", "status": "queued", "to": "{to}"}}"#));
    Some(match reply {
        Reply::Created => created(&accept(None).0),
        Reply::CreatedAs(sid) => created(&accept(Some(sid)).0),
        Reply::Hang(duration) => {
            hang(shared, duration, |_| false);
            created(&accept(None).0)
        }
        Reply::AcceptThenHold(duration) => {
            let (sid, number) = accept(None);
            hang(shared, duration, |state| state.released >= number);
            created(&sid)
        }
        Reply::AcceptThenDrop => {
            accept(None);
            return None;
        }
        Reply::AcceptThenFail => {
            accept(None);
            (500, Vec::new(), "Internal Server Error".to_owned())
        }
        Reply::Error { status, code, message } => (status, Vec::new(), twilio_error(status, code, &message)),
        Reply::TooManyRequests { retry_after_secs } => (
            429,
            vec![format!("Retry-After: {retry_after_secs}")],
            twilio_error(429, 20429, "Too Many Requests"),
        ),
        Reply::ServerError => (500, Vec::new(), "Internal Server Error".to_owned()),
    })
}

/// A page of the accepted messages to `To`, newest first, as Twilio lists them.
fn list(shared: &Shared, path: &str, query: &str) -> String {
    let params: BTreeMap<String, String> = query
        .split('&')
        .filter_map(|pair| pair.split_once('='))
        .map(|(k, v)| (form_decode(k), form_decode(v)))
        .collect();
    let to = params.get("To").cloned().unwrap_or_default();
    let size: usize = params.get("PageSize").and_then(|s| s.parse().ok()).unwrap_or(50).max(1);
    let page: usize = params.get("Page").and_then(|s| s.parse().ok()).unwrap_or(0);
    let state = shared.lock();
    let matching: Vec<&Accepted> =
        state.accepted.iter().rev().filter(|m| to.is_empty() || m.to == to).collect();
    let messages: Vec<serde_json::Value> = matching
        .iter()
        .skip(page * size)
        .take(size)
        .map(|m| {
            serde_json::json!({
                "sid": m.sid,
                "to": m.to,
                "body": m.body,
                "status": "queued",
                // Twilio stamps seconds, and leaves date_sent empty while queued.
                "date_created": m.created.format(&Rfc2822).unwrap(),
                "date_sent": null,
            })
        })
        .collect();
    let next = (matching.len() > (page + 1) * size).then(|| {
        format!("{path}?To={}&PageSize={size}&Page={}", to.replace('+', "%2B").replace(':', "%3A"), page + 1)
    });
    serde_json::json!({ "messages": messages, "next_page_uri": next, "page": page, "page_size": size })
        .to_string()
}

/// Holds the answer back for `duration`, until `released` holds, or until the fake stops.
fn hang(shared: &Shared, duration: Duration, released: impl Fn(&State) -> bool) {
    let deadline = Instant::now() + duration;
    let mut state = shared.lock();
    while !state.stopped && !released(&state) {
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
