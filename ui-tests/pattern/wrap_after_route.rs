use waymark::{Next, Request, Response, routes};

async fn ok() -> &'static str {
    "ok"
}

async fn log(_req: &Request, next: Next<'_>) -> Response {
    next.run().await
}

routes! {
    pub Api;
    GET "/" => ok(),
    wrap log;
}

fn main() {}
