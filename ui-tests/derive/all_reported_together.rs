//! Every mistake of the enum in one build.
#[derive(waymark::Responses)]
enum NoteError {
    Missing,
    #[response(status = 99)]
    Early,
    #[response(status = 409)]
    Duplicate(String, String),
}

fn main() {}
