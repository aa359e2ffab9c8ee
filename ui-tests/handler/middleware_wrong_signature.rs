use waymark::{Request, Response, routes};

async fn ok() -> &'static str {
    "ok"
}

async fn log(_req: &Request) -> Response {
    Response::text("no next")
}

routes! {
    pub Api;
    wrap log;
    GET "/" => ok(),
}

fn main() {}
