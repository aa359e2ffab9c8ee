use waymark::routes;

routes! {
    pub Api;
    GET "/items/{n: u64 in -1..}" => async move { format!("{n}") },
}

fn main() {}
