use waymark::routes;

routes! {
    pub Api;
    GET "/notes?{limit: u32 in 1..=100 = 0}" => async move { format!("{limit}") },
}

fn main() {}
