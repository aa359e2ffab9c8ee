//! A variant holds at most one value, without a name: its answer.
#[derive(waymark::Responses)]
enum NoteError {
    #[response(status = 409)]
    Duplicate { id: u64 },
}

fn main() {}
