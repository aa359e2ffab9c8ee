//! An in-process test client: call an [`App`](crate::App) the way a client would, without a socket.
//!
//! Build a request with [`TestClient`] (method, path, query, headers, body), `send` it, and
//! assert on the [`TestResponse`]: status, headers, text, JSON. `send` reads the response whole,
//! streamed bodies included, and a `HEAD` response loses its body as it would on the wire.
//!
//! A body that comes slowly or never ends (server-sent events, a long download) is read piece by
//! piece instead: [`stream`](TestRequest::stream) gives a [`TestStream`], whose
//! [`chunk`](TestStream::chunk) gives the body's chunks as the application yields them and
//! [`event`](TestStream::event) the server-sent events parsed as a browser parses them
//! ([`SseEvent`]). Each read waits at most a timeout ([`DEFAULT_READ_TIMEOUT`]), so a test of an
//! endless stream fails instead of hanging; on tokio's paused clock the wait costs no time. With
//! the `ws` feature, `TestClient::websocket` holds a WebSocket to the application, in memory.
//!
//! A small app with state and a JSON route, and a test of it. In your crate, the part after
//! `routes!` is the body of a `#[tokio::test] async fn`:
//!
//! ```
//! use std::sync::Mutex;
//!
//! use serde::{Deserialize, Serialize};
//! use serde_json::json;
//! use waymark::test::TestClient;
//! use waymark::{Json, StatusCode, routes};
//!
//! #[derive(Default)]
//! struct Todos(Mutex<Vec<Todo>>);
//!
//! #[derive(Clone, Serialize, Deserialize)]
//! struct Todo {
//!     title: String,
//!     done: bool,
//! }
//!
//! routes! {
//!     TodoApp(todos: Todos);
//!     GET  "/todos"                 => async move { Json(todos.0.lock().unwrap().clone()) },
//!     POST "/todos" body: Json<Todo> => async move {
//!         let mut todos = todos.0.lock().unwrap();
//!         todos.push(body.0);
//!         (StatusCode::CREATED, Json(json!({ "id": todos.len() })))
//!     },
//! }
//!
//! # #[tokio::main(flavor = "current_thread")] async fn main() {
//! let client = TestClient::new(TodoApp::new(Todos::default()));
//!
//! let res = client.post("/todos").json(&json!({ "title": "write docs", "done": false })).send().await;
//! res.assert_status(StatusCode::CREATED).assert_json(&json!({ "id": 1 }));
//!
//! let todos: Vec<Todo> = client.get("/todos").send().await.json();
//! assert_eq!(todos[0].title, "write docs");
//!
//! // A body that is not a `Todo` never reaches the handler.
//! client.post("/todos").json(&json!({ "title": 7 })).send().await.assert_status(StatusCode::BAD_REQUEST);
//! client.get("/nope").send().await.assert_status(StatusCode::NOT_FOUND);
//! # }

mod client;
#[cfg(test)]
mod echo;
mod head;
mod request;
mod response;
mod sse;
mod stream;
#[cfg(feature = "ws")]
mod ws;

pub use client::TestClient;
pub use request::TestRequest;
pub use response::TestResponse;
pub use sse::SseEvent;
pub use stream::{DEFAULT_READ_TIMEOUT, TestStream};
#[cfg(feature = "ws")]
pub use ws::TestWebSocket;
