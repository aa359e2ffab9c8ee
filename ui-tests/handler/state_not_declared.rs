use waymark::routes;

async fn count(n: &u64) -> String {
    n.to_string()
}

routes! {
    pub Api;
    GET "/count" => count(state),
}

fn main() {}
