use waymark::routes;

routes! {
    Api;
    GET "/a" => async { "a" },
    fallback as missing => async { "missing" },
}

fn main() {}
