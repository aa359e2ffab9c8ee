use waymark::routes;

struct NotATable;

routes! {
    Api;
    GET "/a" => async { "a" },
    mount NotATable = NotATable;
}

fn main() {}
