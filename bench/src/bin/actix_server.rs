//! actix-web 4: `/plaintext` and `/json`, TCP_NODELAY set; one worker, or `BENCH_WORKERS`
//! (bench/per_core.sh).

use actix_web::{App, HttpResponse, HttpServer, web};
use waymark_bench::{HELLO, Message};

async fn plaintext() -> HttpResponse {
    HttpResponse::Ok().content_type("text/plain; charset=utf-8").body(HELLO)
}

async fn json() -> web::Json<Message> {
    web::Json(Message { message: HELLO })
}

#[actix_web::main]
async fn main() -> std::io::Result<()> {
    waymark_bench::watchdog();
    eprintln!("actix-web listening");
    HttpServer::new(|| App::new().route("/plaintext", web::get().to(plaintext)).route("/json", web::get().to(json)))
        .workers(if std::env::var_os("BENCH_WORKERS").is_some() { waymark_bench::workers() } else { 1 })
        .tcp_nodelay(true)
        .bind(waymark_bench::addr())?
        .run()
        .await
}
