//! A resource's reads and writes together: only the writes are guarded, in a scope without a
//! prefix.
use waymark::{Method, Request, StatusCode, routes};

struct Admin;

async fn admin(req: &Request) -> Result<Admin, StatusCode> {
    req.header("x-admin").map(|_| Admin).ok_or(StatusCode::UNAUTHORIZED)
}

routes! {
    Api;
    GET "/notes/{id: u64}" => async move { format!("note {id}") },
    scope {
        guard _admin: Admin = admin(req);
        DELETE "/notes/{id: u64}" => async move { format!("deleted {id}") },
    }
}

fn main() {
    let rt = tokio::runtime::Builder::new_current_thread().build().unwrap();
    rt.block_on(async {
        let api = Api::new();
        assert_eq!(api.call(Request::new(Method::GET, "/notes/1")).await.status(), StatusCode::OK);
        assert_eq!(api.call(Request::new(Method::DELETE, "/notes/1")).await.status(), StatusCode::UNAUTHORIZED);
        let ok = Request::new(Method::DELETE, "/notes/1").with_header("x-admin", "1");
        assert_eq!(api.call(ok).await.status(), StatusCode::OK);
    });
}
