//! A table without state, and one without routes.
use waymark::routes;

routes! {
    Hello;
    GET "/" => async { "hello" },
}

routes! {
    pub(crate) Empty;
}

fn main() {
    let _ = Hello::new();
    assert!(Empty::ROUTES.is_empty());
}
