//! `#[response(..)]` takes `status` only.
#[derive(waymark::Responses)]
enum NoteError {
    #[response(code = 404)]
    Missing,
}

fn main() {}
