use waymark::routes;

async fn log(req: &waymark::Request, next: waymark::Next<'_>) -> waymark::Response {
    let _ = req;
    next.run().await
}

routes! {
    Api;
    wrap tower(log);
    GET "/" => async { "ok" },
}

fn main() {}
