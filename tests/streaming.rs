//! The test client reading a response piece by piece: a real server-sent-events route event by
//! event (with its keep-alive comments as chunks), a chunked body chunk by chunk, the end of a
//! stream, a stream that never ends failing the test instead of hanging it, and (feature `ws`) a
//! WebSocket held in-process. On tokio's paused clock: the seconds below take no time.

use std::time::Duration;

use tokio::sync::oneshot;
use tokio::time::{Instant, sleep};
use waymark::sse::{self, Event, Sse};
use waymark::test::{SseEvent, TestClient};
use waymark::{Body, Bytes, Request, StatusCode, routes};

/// Three ticks a second apart from `from` (at 0, 1 and 2 s), then silence (a keep-alive comment
/// at 17 s, 15 s after the last tick), then a last event with a `retry` at 19 s, then the end.
fn ticks(from: u64) -> Sse<sse::Receiver> {
    let (tx, sse) = Sse::channel(1);
    tokio::spawn(async move {
        for n in from..from + 3 {
            let event = Event::new().event("tick").id(n.to_string()).data(format!("tick\n{n}"));
            if tx.send(event).await.is_err() {
                return;
            }
            sleep(Duration::from_secs(1)).await;
        }
        sleep(Duration::from_secs(16)).await;
        let _ = tx.send(Event::new().retry(Duration::from_millis(2500)).data("last")).await;
    });
    sse
}

fn resume_from(req: &Request) -> u64 {
    sse::last_event_id(req).and_then(|id| id.parse::<u64>().ok()).map_or(0, |n| n + 1)
}

/// Chunks as given (an empty one among them), with a pause; `gone` hears when the client left.
fn chunks(gone: Option<oneshot::Sender<()>>) -> Body {
    let (tx, body) = Body::channel(1);
    tokio::spawn(async move {
        for part in ["a", "", "bc", "def"] {
            if tx.send(Bytes::from(part)).await.is_err() {
                break;
            }
            sleep(Duration::from_millis(300)).await;
        }
        if let Some(gone) = gone {
            // Keep sending until the client is gone.
            while tx.send(Bytes::from_static(b"more")).await.is_ok() {
                sleep(Duration::from_secs(1)).await;
            }
            let _ = gone.send(());
        }
    });
    body
}

routes! {
    Api;
    GET "/ticks" => async move { ticks(resume_from(req)) },
    GET "/chunks" => async { chunks(None) },
    GET "/endless" => async {
        let (tx, sse) = Sse::channel(1);
        tokio::spawn(async move { tx.closed().await }); // open, without events, until the client leaves
        sse
    },
    GET "/whole" => async { "whole body" },
}

#[tokio::test(start_paused = true)]
async fn a_real_sse_route_event_by_event() {
    let client = TestClient::new(Api::new());
    let start = Instant::now();
    let mut events = client.get("/ticks").stream().await;
    events.assert_status(StatusCode::OK).assert_header("content-type", "text/event-stream");
    for n in 0..3 {
        let event = events.event().await.expect("a tick");
        assert_eq!(
            event,
            SseEvent { event: "tick".into(), data: format!("tick\n{n}"), id: n.to_string(), retry: None }
        );
    }
    // Between the last tick and the last event, the server's keep-alive comment arrives as a chunk,
    // 15 s after the last send: past the read timeout, so the wait is given.
    let keep_alive = events.chunk_within(Duration::from_secs(16)).await.expect("within 16 s");
    assert_eq!(keep_alive.expect("a keep-alive"), ": keep-alive\n\n");
    assert_eq!(start.elapsed(), Duration::from_secs(2 + 15), "15 s after the last tick, sent at 2 s");
    let last = events.event().await.expect("the last event");
    let want = SseEvent {
        event: "message".into(),
        data: "last".into(),
        id: "2".into(),
        retry: Some(Duration::from_millis(2500)),
    };
    assert_eq!(last, want, "the last id stays, as in a browser");
    assert_eq!(events.event().await, None, "the stream ended");
    assert_eq!(events.chunk().await, None, "and stays ended");
}

#[tokio::test(start_paused = true)]
async fn keep_alive_comments_are_not_events_and_last_event_id_resumes() {
    let client = TestClient::new(Api::new());
    let mut events = client.get("/ticks").header("last-event-id", "41").stream().await;
    assert_eq!(events.event().await.map(|e| e.id), Some("42".to_owned()));
    let _ = events.event().await;
    let _ = events.event().await;
    // From 2 s to 18 s: one keep-alive comment, and no event.
    assert!(events.event_within(Duration::from_secs(16)).await.is_err());
    assert_eq!(events.event().await.map(|e| e.data), Some("last".to_owned()));
}

#[tokio::test(start_paused = true)]
async fn a_chunked_body_chunk_by_chunk_then_its_end() {
    let client = TestClient::new(Api::new());
    let mut res = client.get("/chunks").stream().await;
    assert_eq!(res.header("content-length"), None, "a streamed body: chunked on the wire");
    let start = Instant::now();
    assert_eq!(res.chunk().await.unwrap(), "a");
    assert_eq!(res.chunk().await.unwrap(), "bc", "an empty chunk is not seen, as on the wire");
    assert_eq!(start.elapsed(), Duration::from_millis(600), "each chunk when it is sent");
    assert_eq!(res.chunk().await.unwrap(), "def");
    res.assert_end().await;
    let shown = res.to_string();
    assert!(shown.ends_with("--- body: 6 bytes read so far"), "{shown}");

    let mut res = client.get("/chunks").stream().await;
    assert_eq!(res.rest().await, "abcdef");
}

#[tokio::test(start_paused = true)]
async fn a_whole_body_is_one_chunk_and_head_has_none() {
    let client = TestClient::new(Api::new());
    let mut res = client.get("/whole").stream().await;
    assert_eq!(res.chunk().await.unwrap(), "whole body");
    assert_eq!(res.chunk().await, None);
    let mut res = client.head("/whole").stream().await;
    res.assert_header("content-length", "10");
    res.assert_end().await;
    let mut res = client.get("/missing").stream().await;
    res.assert_status(StatusCode::NOT_FOUND);
    assert_eq!(res.rest().await, "not found");
}

#[tokio::test(start_paused = true)]
#[should_panic(expected = "GET /endless: expected a chunk within 5s, but the body stayed open (at tests/streaming.rs:")]
async fn a_stream_that_never_ends_fails_the_test_instead_of_hanging_it() {
    let mut res = TestClient::new(Api::new()).get("/endless").stream().await;
    // The keep-alive comment is 15 s away: past the read timeout.
    let _ = res.chunk().await;
}

#[tokio::test(start_paused = true)]
#[should_panic(expected = "expected the end of the body, got a chunk: \"a\"")]
async fn assert_end_fails_while_chunks_come() {
    TestClient::new(Api::new()).get("/chunks").stream().await.assert_end().await;
}

#[tokio::test(start_paused = true)]
async fn the_read_timeout_can_be_longer() {
    let res = TestClient::new(Api::new()).get("/endless").stream().await;
    let mut res = res.timeout(Duration::from_secs(20));
    assert_eq!(res.chunk().await.unwrap(), ": keep-alive\n\n");
}

#[tokio::test(start_paused = true)]
async fn dropping_the_stream_tells_the_application_the_client_left() {
    routes! {
        Leaving(gone: std::sync::Mutex<Option<oneshot::Sender<()>>>);
        GET "/chunks" => async move { chunks(gone.lock().unwrap().take()) },
    }
    let (tx, left) = oneshot::channel();
    let client = TestClient::new(Leaving::new(std::sync::Mutex::new(Some(tx))));
    let mut res = client.get("/chunks").stream().await;
    assert_eq!(res.chunk().await.unwrap(), "a");
    drop(res);
    tokio::time::timeout(Duration::from_secs(5), left).await.expect("the producer saw the client leave").unwrap();
}

#[cfg(feature = "ws")]
mod websocket {
    use std::time::Duration;

    use futures_util::{SinkExt, StreamExt};
    use waymark::test::TestClient;
    use waymark::ws::{CloseCode, CloseFrame, Message, WebSocket, WebSocketUpgrade};
    use waymark::{StatusCode, routes};

    async fn echo(mut socket: WebSocket) {
        while let Some(Ok(msg)) = socket.next().await {
            if msg.is_text() && msg.to_text().is_ok_and(|t| t == "bye") {
                let frame = CloseFrame { code: CloseCode::Away, reason: "bye".into() };
                let _ = socket.send(Message::Close(Some(frame))).await;
            } else if (msg.is_text() || msg.is_binary()) && socket.send(msg).await.is_err() {
                break;
            }
        }
    }

    routes! {
        Chat;
        GET "/ws/{room}" => async move {
            let room = room.to_owned();
            WebSocketUpgrade::from_request(req).map(|ws| {
                ws.protocols(&["chat"]).max_message_size(16).on_upgrade(move |mut socket| async move {
                    let _ = socket.send(Message::text(format!("welcome to {room}"))).await;
                    echo(socket).await;
                })
            })
        },
    }

    #[tokio::test]
    async fn messages_both_ways_then_a_clean_close() {
        let client = TestClient::new(Chat::new());
        let mut ws = client.websocket("/ws/rust").await;
        assert_eq!(ws.header("upgrade"), Some("websocket"));
        assert_eq!(ws.recv_text().await, "welcome to rust");
        ws.send("hello").await;
        assert_eq!(ws.recv_text().await, "hello");
        ws.send(Message::binary(vec![0, 159])).await;
        assert_eq!(ws.recv().await, Some(Message::binary(vec![0, 159])));
        ws.close().await;
    }

    #[tokio::test]
    async fn the_application_closes_with_a_code() {
        let mut ws = TestClient::new(Chat::new()).websocket("/ws/a").await;
        let _ = ws.recv().await;
        ws.send("bye").await;
        let Some(Message::Close(Some(frame))) = ws.recv().await else { panic!("expected a close frame") };
        assert_eq!((frame.code, frame.reason.as_str()), (CloseCode::Away, "bye"));
        assert_eq!(ws.recv().await, None, "closed");
    }

    #[tokio::test]
    async fn the_routes_limits_and_subprotocols_apply() {
        let client = TestClient::new(Chat::new());
        let mut ws = client.get("/ws/a").header("sec-websocket-protocol", "other, chat").websocket().await.unwrap();
        assert_eq!(ws.header("sec-websocket-protocol"), Some("chat"));
        let _ = ws.recv().await;
        // Over the route's 16-byte limit: the application's read fails and its task ends.
        ws.send("x".repeat(17)).await;
        assert_eq!(ws.recv().await, None);
    }

    #[tokio::test]
    async fn a_refused_handshake_is_a_response() {
        let client = TestClient::new(Chat::new());
        let refused = client.get("/ws/a").header("sec-websocket-version", "8").websocket().await.unwrap_err();
        refused.assert_status(StatusCode::UPGRADE_REQUIRED).assert_header("sec-websocket-version", "13");
        let refused = client.post("/ws/a").websocket().await.unwrap_err();
        refused.assert_status(StatusCode::METHOD_NOT_ALLOWED);
    }

    #[tokio::test(start_paused = true)]
    async fn a_silent_socket_is_closed_by_the_idle_timeout() {
        let mut ws = TestClient::new(Chat::new()).websocket("/ws/a").await;
        let _ = ws.recv().await;
        // The default idle timeout is 2 minutes: the server drops the socket then.
        assert!(ws.recv_within(Duration::from_secs(119)).await.is_err(), "open before the idle timeout");
        assert_eq!(ws.recv_within(Duration::from_secs(2)).await, Ok(None), "closed at it");
    }

    #[tokio::test]
    #[should_panic(expected = "GET /nope (at tests/streaming.rs:")]
    async fn websocket_panics_when_the_application_does_not_switch() {
        let _ = TestClient::new(Chat::new()).websocket("/nope").await;
    }
}
