use waymark::routes;

fn index() -> &'static str {
    "not async"
}

routes! {
    pub Api;
    GET "/" => index(),
}

fn main() {}
