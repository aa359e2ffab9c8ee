//! The smallest complete waymark program: `cargo run --example hello`, then
//! `curl http://127.0.0.1:3000/hello/world`.

use waymark::{Server, routes};

routes! {
    /// The whole application: two routes, no state.
    Hello;

    GET "/"             => async { "hello from waymark\n" },
    GET "/hello/{name}" => greet(name),
}

async fn greet(name: &str) -> String {
    format!("hello, {name}!\n")
}

#[tokio::main]
async fn main() -> std::io::Result<()> {
    let server = Server::bind("127.0.0.1:3000").await?;
    println!("listening on http://{}", server.local_addr());
    server.serve_with_shutdown(Hello::new(), async { tokio::signal::ctrl_c().await.unwrap_or(()) }).await
}
