//! Unit variants, variants holding a value, a shared status, a generic enum, and the derived type
//! as a handler's error; the user's own `http` module and `Response` do not change the expansion.
#![allow(dead_code)]

use waymark::{Created, Html, Json, NoContent, routes};

mod http {}
struct Response;

#[derive(waymark::Responses)]
enum NoteError {
    /// No note has that id.
    #[response(status = 404)]
    Missing,
    /// A note with that URL exists.
    #[response(status = 409)]
    Duplicate(Json<String>),
    #[response(status = 409)]
    AlsoTaken(Html<&'static str>),
    #[response(status = 503)]
    Later(NoContent),
}

#[derive(waymark::Responses)]
enum Either<A, B> {
    #[response(status = 400)]
    Left(A),
    #[response(status = 500)]
    Right(B),
}

#[derive(waymark::Responses)]
enum Never {}

async fn create() -> Result<Created<Json<u64>>, NoteError> {
    Err(NoteError::Missing)
}

async fn either() -> Result<String, Either<String, Json<u32>>> {
    Ok(String::new())
}

routes! {
    Api;
    POST "/notes" => create(),
    GET "/either" => either(),
}

fn main() {}
