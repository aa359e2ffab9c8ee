//! A JSON API for bookmarks, stored in SQLite (or PostgreSQL), with a browser page that uses it.
//!
//! ```text
//! cargo run --example api                  # http://127.0.0.1:3000, data in ./bookmarks.db
//! PORT=8080 cargo run --example api        # or: cargo run --example api -- --port 8080
//! DATABASE_PATH=/tmp/b.db cargo run --example api
//! ADMIN_TOKEN=s3cret cargo run --example api      # else a random token, printed once
//! DATABASE_URL=postgres://me@localhost/bookmarks cargo run --example api --features example-postgres
//! UNIX_SOCKET=/tmp/api.sock cargo run --example api    # curl --unix-socket /tmp/api.sock http://localhost/
//! systemd-socket-activate -l 127.0.0.1:3000 target/debug/examples/api   # an inherited socket (LISTEN_FDS)
//! ```
//!
//! The environment (database, admin token, cookie key) is read and checked by `api/startup.rs`;
//! a database that cannot be opened or reached stops the start with a one-line message and exit
//! status 1.
//!
//! Open the printed address in a browser, or try the `curl` line it prints. The application itself
//! (store, handlers, middleware, the `routes!` table) is in `api/app.rs`, which `tests/api.rs`
//! tests in-process. Ctrl-C or SIGTERM stops the server gracefully: it stops accepting, ends the
//! open event streams, lets requests in flight finish, and exits.

#[path = "api/app.rs"]
mod app;

use std::io;
use std::net::{Ipv4Addr, SocketAddr};

use app::Api;
use app::startup;
use waymark::Server;

const DEFAULT_PORT: u16 = 3000;

#[tokio::main]
async fn main() -> Result<(), Box<dyn std::error::Error>> {
    let port = port().unwrap_or_else(|e| {
        eprintln!("{e}");
        std::process::exit(2)
    });
    let (database, token, random_token, cookie_key) = startup::config().unwrap_or_else(|e| {
        eprintln!("{e}");
        std::process::exit(2)
    });
    let store = database.open(token.clone(), cookie_key).await.unwrap_or_else(|e| {
        eprintln!("{e}");
        std::process::exit(1)
    });
    let closer = store.closer();
    let api = Api::new(store);

    let (server, curl, base) = listen(port).await?;
    println!("database: {}", database.shown());
    println!("routes:");
    let width = Api::ROUTES.iter().map(|r| r.pattern.len()).max().unwrap_or(0);
    for route in Api::ROUTES {
        println!("  {:<6} {:<width$}  {}", route.method, route.pattern, route.handler);
    }
    println!("try:   {curl} '{base}/bookmarks?limit=2'");
    if random_token {
        println!("admin token (random, shown only now; set ADMIN_TOKEN to choose one): {token}");
    }
    println!("admin: {curl} -H 'authorization: Bearer <admin token>' {base}/admin/stats");
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

/// The server's sockets, with the curl command and the base URL to reach it: the sockets a service
/// manager passed (`LISTEN_FDS`, systemd socket activation), else a Unix socket at `UNIX_SOCKET`
/// (mode 0660: this user and its group, such as nginx's), else `127.0.0.1:port`.
async fn listen(port: u16) -> io::Result<(Server, String, String)> {
    #[cfg(unix)]
    {
        let (server, how) = match Server::listen_fds()? {
            Some(server) => (Some(server), "the inherited socket"),
            None => match std::env::var_os("UNIX_SOCKET") {
                Some(path) => (Some(Server::bind_unix(path, 0o660)?), "the Unix socket"),
                None => (None, ""),
            },
        };
        if let Some(server) = server {
            let tcp = server.local_addr();
            return Ok(match server.unix_path().filter(|_| tcp.port() == 0) {
                Some(path) => {
                    println!("bookmarks API listening on {how} {}", path.display());
                    (server, format!("curl -s --unix-socket {}", path.display()), "http://localhost".to_owned())
                }
                None => {
                    println!("bookmarks API listening on {how} http://{tcp}");
                    (server, "curl -s".to_owned(), format!("http://{tcp}"))
                }
            });
        }
    }
    let server = Server::bind(SocketAddr::from((Ipv4Addr::LOCALHOST, port))).await?;
    let base = format!("http://{}", server.local_addr());
    println!("bookmarks API listening on {base}");
    Ok((server, "curl -s".to_owned(), base))
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
