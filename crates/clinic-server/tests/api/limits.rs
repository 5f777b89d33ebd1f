//! Clients that send too much, too little, or too slowly: each gets its answer or its
//! connection closed, and everyone else is still served. Raw TCP on loopback.

use std::io::{ErrorKind, Read, Write};
use std::net::TcpStream;
use std::sync::atomic::{AtomicBool, Ordering};
use std::time::{Duration, Instant};

use clinic_server::limits::{BODY_TIMEOUT, IDLE_TIMEOUT, raise_open_files_limit};

use crate::support::{TestApp, spawn_app};

const PROMPTLY: Duration = Duration::from_secs(1);

fn connect(app: &TestApp) -> TcpStream {
    TcpStream::connect(app.base.trim_start_matches("http://")).unwrap()
}

/// Everything the server sends until it closes the connection, which it must within `wait`.
fn read_answer(stream: &mut TcpStream, wait: Duration) -> String {
    stream.set_read_timeout(Some(wait)).unwrap();
    let mut answer = Vec::new();
    let mut buf = [0; 4096];
    loop {
        match stream.read(&mut buf) {
            Ok(0) => break,
            Ok(n) => answer.extend_from_slice(&buf[..n]),
            Err(e) if matches!(e.kind(), ErrorKind::WouldBlock | ErrorKind::TimedOut) => {
                panic!("the server kept the connection open for {wait:?}")
            }
            Err(_) => break, // reset: closed too
        }
    }
    String::from_utf8_lossy(&answer).into_owned()
}

/// The service still answers a data route, and quickly.
fn assert_serving(app: &TestApp) {
    let asked = Instant::now();
    assert_eq!(app.get("/api/doctors", None).status, 200);
    assert!(asked.elapsed() < PROMPTLY, "took {:?}", asked.elapsed());
}

#[test]
fn a_ten_kilobyte_host_header_is_a_431_and_the_server_keeps_serving() {
    let app = spawn_app();
    let mut stream = connect(&app);
    let host = "h".repeat(10 * 1024);
    write!(stream, "GET /api/doctors HTTP/1.1\r\nHost: {host}\r\nConnection: close\r\n\r\n").unwrap();
    let answer = read_answer(&mut stream, Duration::from_secs(10));
    assert!(answer.starts_with("HTTP/1.1 431"), "{answer}");
    assert!(answer.contains(r#""code":"header_too_large""#), "{answer}");
    assert_serving(&app);
}

#[test]
fn a_thousand_idle_connections_do_not_keep_others_waiting_and_are_closed() {
    raise_open_files_limit().unwrap(); // they and the server's ends share this process
    let app = spawn_app();
    let mut idle: Vec<TcpStream> = (0..1000).map(|_| connect(&app)).collect();
    assert_serving(&app);
    // Connections that never send a request are closed once the head timeout passes.
    for stream in &mut idle {
        let answer = read_answer(stream, IDLE_TIMEOUT * 3);
        assert!(answer.is_empty() || answer.starts_with("HTTP/1.1 408"), "{answer}");
    }
    assert_serving(&app);
}

#[test]
fn a_body_trickled_slowly_is_cut_off_by_its_deadline_while_others_are_served() {
    let app = spawn_app();
    let patient = app.login();
    let trickle = |stream: &mut TcpStream, stop: &AtomicBool| {
        let head = format!(
            "PUT /api/me/profile HTTP/1.1\r\nHost: clinic\r\nAuthorization: Bearer {}\r\n\
             Content-Type: application/json\r\nContent-Length: 1000\r\n\r\n{{",
            patient.token
        );
        stream.write_all(head.as_bytes()).unwrap();
        // One byte every 250 ms would take 250 s; the server must not wait for it.
        while !stop.load(Ordering::SeqCst) && stream.write_all(b" ").is_ok() {
            std::thread::sleep(Duration::from_millis(250));
        }
    };
    let started = Instant::now();
    let answers: Vec<String> = std::thread::scope(|s| {
        // More slow clients than the server has workers.
        let slow: Vec<_> = (0..8)
            .map(|_| {
                s.spawn(|| {
                    let mut stream = connect(&app);
                    let mut reader = stream.try_clone().unwrap();
                    let stop = AtomicBool::new(false);
                    std::thread::scope(|t| {
                        t.spawn(|| trickle(&mut stream, &stop));
                        let answer = read_answer(&mut reader, Duration::from_secs(30));
                        stop.store(true, Ordering::SeqCst);
                        answer
                    })
                })
            })
            .collect();
        while started.elapsed() < BODY_TIMEOUT / 2 {
            assert_serving(&app);
        }
        slow.into_iter().map(|t| t.join().unwrap()).collect()
    });
    let took = started.elapsed();
    for answer in answers {
        assert!(answer.starts_with("HTTP/1.1 408"), "{answer}");
        assert!(answer.contains(r#""code":"request_timeout""#), "{answer}");
    }
    assert!(took >= BODY_TIMEOUT && took < BODY_TIMEOUT + Duration::from_secs(5), "ended after {took:?}");
    assert_serving(&app);
}
