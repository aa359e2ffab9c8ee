use waymark::routes;

routes! {
    Api;
    GET "/a" => async { "a" },
    scope "/admin" {
        guard admin: u32 = async { 7 };
    }
}

fn main() {}
