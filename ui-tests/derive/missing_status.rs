//! Every variant names its status.
#[derive(waymark::Responses)]
enum NoteError {
    /// No note has that id.
    #[response(status = 404)]
    Missing,
    /// A note with that URL exists.
    Duplicate,
}

fn main() {}
