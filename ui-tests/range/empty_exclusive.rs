use waymark::routes;

routes! {
    pub Api;
    GET "/items/{id: u32 in 1..1}" => async move { format!("{id}") },
}

fn main() {}
