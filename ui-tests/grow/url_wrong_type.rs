use waymark::routes;

routes! {
    Api;
    GET "/users/{id: u64}" as user => async move { format!("{id}") },
}

fn main() {
    let _ = Api::user_url("seven");
}
