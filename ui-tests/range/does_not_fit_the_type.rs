use waymark::routes;

routes! {
    pub Api;
    GET "/items/{n: u8 in 0..=300}" => async move { format!("{n}") },
}

fn main() {}
