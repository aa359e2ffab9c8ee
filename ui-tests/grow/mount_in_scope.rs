use waymark::routes;

routes! {
    Tools at "/tools";
    GET "/ping" => async { "pong" },
}

routes! {
    Api;
    scope "/admin" {
        mount Tools = Tools::new();
        GET "/stats" => async { "stats" },
    }
}

fn main() {}
