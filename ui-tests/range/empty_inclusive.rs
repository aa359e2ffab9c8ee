use waymark::routes;

routes! {
    pub Api;
    GET "/items?{n: u32 in 5..=4}" => async move { format!("{n}") },
}

fn main() {}
