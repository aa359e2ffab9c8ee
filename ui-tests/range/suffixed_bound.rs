use waymark::routes;

routes! {
    pub Api;
    GET "/items/{n: u32 in 1u32..10}" => async move { format!("{n}") },
}

fn main() {}
