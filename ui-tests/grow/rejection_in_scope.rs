use waymark::routes;

routes! {
    Api;
    scope "/admin" {
        GET "/stats" => async { "stats" },
        rejection => async move { rejection },
    }
}

fn main() {}
