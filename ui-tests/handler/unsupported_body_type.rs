use waymark::routes;

async fn create(n: u32) -> String {
    n.to_string()
}

routes! {
    pub Api;
    POST "/numbers" body: u32 => create(body),
}

fn main() {}
