use waymark::routes;

struct User;

async fn user() -> User {
    User
}

routes! {
    pub Api;
    GET "/user" => user(),
}

fn main() {}
