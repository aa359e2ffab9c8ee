use waymark::routes;

routes! {
    Api;
    GET "/a" timeout 5 sec => async { "unknown unit" },
    GET "/b" timeout 0 s => async { "zero" },
    GET "/c" timeout 2000 min => async { "over a day" },
    GET "/d" timeout 5s => async { "unit attached" },
    scope "/e" {
        timeout 1 s;
        timeout 2 s;
        GET "/x" => async { "two in one block" },
        timeout 3 s;
    }
}

fn main() {}
