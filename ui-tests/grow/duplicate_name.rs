use waymark::routes;

routes! {
    Api;
    GET "/a" as home => async { "a" },
    GET "/b" as home => async { "b" },
}

fn main() {}
