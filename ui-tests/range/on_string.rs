use waymark::routes;

routes! {
    pub Api;
    GET "/items/{name: String in 1..5}" => async move { name },
}

fn main() {}
