use waymark::routes;

routes! {
    pub Api;
    GET "/items/{name: &str in 1..5}" => async move { name.to_owned() },
}

fn main() {}
