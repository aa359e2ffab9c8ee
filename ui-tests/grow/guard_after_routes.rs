use waymark::routes;

routes! {
    Api;
    GET "/a" => async { "a" },
    guard user: u32 = async { 7 };
    GET "/b" => async move { format!("{user}") },
}

fn main() {}
