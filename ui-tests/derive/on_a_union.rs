//! The derive documents the answers of an enum's variants; a union has none.
#[derive(waymark::Responses)]
union NoteError {
    code: u16,
}

fn main() {}
