use waymark::routes;

routes! {
    pub Api;
    GET "/items/{n: u32 in 0.5..2}" => async move { format!("{n}") },
}

fn main() {}
