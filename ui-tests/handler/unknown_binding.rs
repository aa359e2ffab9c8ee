use waymark::routes;

async fn user(id: u64) -> String {
    id.to_string()
}

routes! {
    pub Api;
    GET "/users/{id: u64}" => user(user_id),
}

fn main() {}
