//! The derive documents the answers of an enum's variants; a struct has none.
#[derive(waymark::Responses)]
struct NoteError {
    status: u16,
}

fn main() {}
