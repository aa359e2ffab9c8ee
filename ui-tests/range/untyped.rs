use waymark::routes;

routes! {
    pub Api;
    GET "/items/{name in 1..2}" => async move { name.to_owned() },
}

fn main() {}
