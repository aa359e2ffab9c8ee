use waymark::routes;

routes! {
    pub Api;
    GET "/items?{n: u32 in one..ten}" => async move { format!("{n}") },
}

fn main() {}
