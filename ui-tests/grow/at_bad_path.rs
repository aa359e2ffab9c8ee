use waymark::routes;

routes! {
    Tools at "/tools/{id}";
    GET "/ping" => async { "pong" },
}

routes! {
    More at "more/";
    GET "/ping" => async { "pong" },
}

fn main() {}
