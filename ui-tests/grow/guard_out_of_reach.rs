use waymark::routes;

struct User;

async fn user() -> User {
    User
}

async fn profile(_user: User) -> &'static str {
    "me"
}

routes! {
    Api;
    scope {
        guard user: User = user();
        GET "/me" => profile(user),
    }
    GET "/profile" => profile(user),
}

fn main() {}
