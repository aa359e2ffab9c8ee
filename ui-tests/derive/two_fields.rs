//! A variant holds at most one value: its answer.
use waymark::Json;

#[derive(waymark::Responses)]
enum NoteError {
    #[response(status = 409)]
    Duplicate(Json<u64>, String),
}

fn main() {}
