//! A variant's value must say which answers it gives and be a response.
struct Problem;

#[derive(waymark::Responses)]
enum NoteError {
    #[response(status = 409)]
    Duplicate(Problem),
}

fn main() {}
