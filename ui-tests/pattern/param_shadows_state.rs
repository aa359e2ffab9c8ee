use waymark::routes;

struct Db;

routes! {
    pub Api(state: Db);
    GET "/users/{state}" => async { "ok" },
}

fn main() {}
