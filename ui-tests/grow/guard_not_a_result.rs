use waymark::{Request, routes};

struct Admin;

// Gives an `Option`, but the guard is declared as if a `Result<Admin, E>` were unwrapped.
async fn find_admin(_req: &Request) -> Option<Admin> {
    None
}

routes! {
    Api;
    guard admin: Admin = find_admin(req);
    GET "/stats" => async move { let _ = admin; "stats" },
}

fn main() {}
