use waymark::routes;

routes! {
    Api;
    GET "/a" limit 1 MiB => async { "no body to limit" },
    PUT "/b" body: String limit 16 MB => async move { body },
    PUT "/c" body: String limit 0 KiB => async move { body },
    PUT "/d" body: String limit 99999999999 GiB => async move { body },
}

fn main() {}
