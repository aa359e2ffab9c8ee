//! A table declared inside a function, next to a second one: the generated helper items are
//! named after each type, so they neither clash nor need module scope.
fn main() {
    struct Local;

    waymark::routes! {
        First(state: Local);
        GET "/{id: u64}" => async move { id.to_string() },
    }

    waymark::routes! {
        Second;
        GET "/{id: u64}" => async move { id.to_string() },
    }

    let _ = (First::new(Local), Second::new());
    assert_eq!(First::ROUTES.len() + Second::ROUTES.len(), 2);
}
