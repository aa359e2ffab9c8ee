//! A status is from 100 to 599.
#[derive(waymark::Responses)]
enum NoteError {
    #[response(status = 1000)]
    Missing,
}

fn main() {}
