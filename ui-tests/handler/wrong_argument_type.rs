use waymark::routes;

async fn user(id: u32) -> String {
    id.to_string()
}

routes! {
    pub Api;
    GET "/users/{id: u64}" => user(id),
}

fn main() {}
