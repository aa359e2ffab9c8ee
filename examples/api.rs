//! A JSON API for bookmarks, stored in SQLite, with a browser page that uses it.
//!
//! ```text
//! cargo run --example api                  # http://127.0.0.1:3000, data in ./bookmarks.db
//! PORT=8080 cargo run --example api        # or: cargo run --example api -- --port 8080
//! DATABASE_PATH=/tmp/b.db cargo run --example api
//! ADMIN_TOKEN=s3cret cargo run --example api
//! ```
//!
//! Open the printed address in a browser, or try the `curl` line it prints. The application itself
//! (store, handlers, middleware, the `routes!` table) is in `api/app.rs`, which `tests/api.rs`
//! tests in-process. Ctrl-C or SIGTERM stops the server gracefully: it stops accepting, ends the
//! open event streams, lets requests in flight finish, and exits.

#[path = "api/app.rs"]
mod app;

use std::net::{Ipv4Addr, SocketAddr};

use app::{Api, Store};
use waymark::Server;

/// The admin token when `ADMIN_TOKEN` is not set. Fine on localhost; set your own anywhere else.
const DEFAULT_ADMIN_TOKEN: &str = "let-me-in";
const DEFAULT_PORT: u16 = 3000;
/// The database file when `DATABASE_PATH` is not set, in the working directory.
const DEFAULT_DATABASE_PATH: &str = "bookmarks.db";

#[tokio::main]
async fn main() -> Result<(), Box<dyn std::error::Error>> {
    let port = port().unwrap_or_else(|e| {
        eprintln!("{e}");
        std::process::exit(2)
    });
    let token = std::env::var("ADMIN_TOKEN").unwrap_or_else(|_| DEFAULT_ADMIN_TOKEN.to_owned());
    let database = std::env::var("DATABASE_PATH").unwrap_or_else(|_| DEFAULT_DATABASE_PATH.to_owned());
    let store = Store::open(&database, token).map_err(|e| format!("cannot open the database {database:?}: {e}"))?;
    let closer = store.closer();
    let api = Api::new(store);

    let server = Server::bind(SocketAddr::from((Ipv4Addr::LOCALHOST, port))).await?;
    let addr = server.local_addr();
    println!("bookmarks API listening on http://{addr}");
    let shown = std::fs::canonicalize(&database).map_or_else(|_| database.clone(), |p| p.display().to_string());
    println!("database: {shown}");
    println!("routes:");
    let width = Api::ROUTES.iter().map(|r| r.pattern.len()).max().unwrap_or(0);
    for route in Api::ROUTES {
        println!("  {:<6} {:<width$}  {}", route.method, route.pattern, route.handler);
    }
    println!("try:   curl -s 'http://{addr}/bookmarks?limit=2'");
    println!(
        "admin: curl -s -H 'authorization: Bearer <ADMIN_TOKEN, default {DEFAULT_ADMIN_TOKEN}>' http://{addr}/admin/stats"
    );
    println!("Ctrl-C or SIGTERM to stop");

    server
        .serve_with_shutdown(api, async {
            let signal = shutdown_signal().await;
            println!("{signal}: shutting down gracefully");
            closer.close();
        })
        .await?;
    println!("stopped");
    Ok(())
}

/// Waits for Ctrl-C (SIGINT) or, on Unix, SIGTERM (what `kill`, systemd and container runtimes
/// send), and says which came. A signal that cannot be listened for is reported and never comes.
async fn shutdown_signal() -> &'static str {
    let ctrl_c = async {
        if let Err(e) = tokio::signal::ctrl_c().await {
            eprintln!("cannot listen for Ctrl-C: {e}");
            std::future::pending::<()>().await;
        }
    };
    #[cfg(unix)]
    let terminate = async {
        match tokio::signal::unix::signal(tokio::signal::unix::SignalKind::terminate()) {
            Ok(mut term) => {
                term.recv().await;
            }
            Err(e) => {
                eprintln!("cannot listen for SIGTERM: {e}");
                std::future::pending::<()>().await;
            }
        }
    };
    #[cfg(not(unix))]
    let terminate = std::future::pending::<()>();
    tokio::select! {
        () = ctrl_c => "Ctrl-C",
        () = terminate => "SIGTERM",
    }
}

/// `--port N` (or `--port=N`), else the `PORT` variable, else 3000.
fn port() -> Result<u16, String> {
    let mut args = std::env::args().skip(1);
    let mut from_args = None;
    while let Some(arg) = args.next() {
        if arg == "--port" {
            from_args = Some(args.next().ok_or("`--port` needs a value")?);
        } else if let Some(value) = arg.strip_prefix("--port=") {
            from_args = Some(value.to_owned());
        } else {
            return Err(format!("unknown argument `{arg}`; usage: api [--port N]"));
        }
    }
    match from_args.or_else(|| std::env::var("PORT").ok()) {
        Some(port) => port.parse().map_err(|_| format!("invalid port `{port}`: expected 0 to 65535")),
        None => Ok(DEFAULT_PORT),
    }
}
