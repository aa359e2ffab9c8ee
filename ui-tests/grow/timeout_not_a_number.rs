use waymark::routes;

routes! {
    Api;
    GET "/a" timeout 1.5 s => async { "a fraction" },
}

fn main() {}
