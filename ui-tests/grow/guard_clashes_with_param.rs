use waymark::routes;

routes! {
    Api;
    scope "/users/{id: u64}" {
        guard id: u64 = async { 7 };
        GET "/posts" => async move { format!("{id}") },
    }
}

fn main() {}
