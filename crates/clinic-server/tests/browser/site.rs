//! `Site`: another web site on 127.0.0.1 (its own port, so another origin), serving
//! fixed HTML pages: a page that posts to the clinic from elsewhere, or a page to try
//! the harness on.

use std::net::TcpListener;
use std::sync::mpsc;
use std::thread::JoinHandle;

use actix_web::dev::ServerHandle;
use actix_web::{App, HttpResponse, HttpServer, web};

pub struct Site {
    pub base: String,
    server: ServerHandle,
    thread: Option<JoinHandle<std::io::Result<()>>>,
}

impl Site {
    /// Serves each `(path, html)` at `GET path`.
    pub fn serve(pages: Vec<(&'static str, String)>) -> Self {
        let listener = TcpListener::bind("127.0.0.1:0").expect("bind a port for the other site");
        let base = format!("http://{}", listener.local_addr().expect("a bound address"));
        let (handle_tx, handle_rx) = mpsc::channel();
        let thread = std::thread::spawn(move || {
            actix_web::rt::System::new().block_on(async move {
                let server = HttpServer::new(move || {
                    pages.iter().fold(App::new(), |app, (path, html)| {
                        let html = html.clone();
                        app.route(
                            path,
                            web::get().to(move || {
                                let html = html.clone();
                                async move {
                                    HttpResponse::Ok().content_type("text/html; charset=utf-8").body(html)
                                }
                            }),
                        )
                    })
                })
                .workers(1)
                .listen(listener)?
                .run();
                handle_tx.send(server.handle()).expect("the test waits for the handle");
                server.await
            })
        });
        let server = handle_rx.recv().expect("the other site starts");
        Self { base, server, thread: Some(thread) }
    }

    pub fn url(&self, path: &str) -> String {
        format!("{}{path}", self.base)
    }
}

impl Drop for Site {
    fn drop(&mut self) {
        actix_web::rt::System::new().block_on(self.server.stop(false));
        if let Some(thread) = self.thread.take() {
            let _ = thread.join();
        }
    }
}
