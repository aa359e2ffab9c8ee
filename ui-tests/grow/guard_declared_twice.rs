use waymark::routes;

routes! {
    Api;
    guard user: u32 = async { 7 };
    scope "/admin" {
        guard user: u32 = async { 8 };
        GET "/stats" => async move { format!("{user}") },
    }
}

fn main() {}
